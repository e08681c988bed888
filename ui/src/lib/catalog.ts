import { locale } from './i18n';
import { CATALOG_EN } from './i18n/catalog-en';
import type { Catalog, Choice } from './types';

type List = keyof typeof CATALOG_EN;

/** The label of a key in one of the catalog's lists, in the desk's language (the catalogue's
 * official Chinese, or English); the key itself if unknown. */
function labelIn(list: List, choices: readonly Choice[], value: string): string {
  const english = locale() === 'en' ? CATALOG_EN[list][value] : undefined;
  return english ?? choices.find((c) => c.value === value)?.label ?? value;
}

/** A list's choices with their labels in the desk's language, for a form's select. */
export function choicesIn(list: List, choices: readonly Choice[]): Choice[] {
  return choices.map((c) => ({ ...c, label: labelIn(list, choices, c.value) }));
}

export function kindLabel(catalog: Catalog, value: string): string {
  return labelIn('kinds', catalog.kinds, value);
}

export function categoryLabel(catalog: Catalog, value: string): string {
  return labelIn('categories', catalog.categories, value);
}

export function districtLabel(catalog: Catalog, value: string): string {
  return labelIn('districts', catalog.districts, value);
}
