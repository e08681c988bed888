import type { Catalog, Choice } from './types';

/** The Chinese label of a key in one of the catalog's lists; the key itself if unknown. */
export function labelOf(choices: readonly Choice[], value: string): string {
  return choices.find((c) => c.value === value)?.label ?? value;
}

export function kindLabel(catalog: Catalog, value: string): string {
  return labelOf(catalog.kinds, value);
}

export function categoryLabel(catalog: Catalog, value: string): string {
  return labelOf(catalog.categories, value);
}

export function districtLabel(catalog: Catalog, value: string): string {
  return labelOf(catalog.districts, value);
}
