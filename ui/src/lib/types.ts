// One place to import the backend's types from. The files in ./bindings are generated from the
// Rust types by ts-rs; do not edit them by hand.
export type { Catalog } from './bindings/Catalog';
export type { Category } from './bindings/Category';
export type { Choice } from './bindings/Choice';
export type { CodeKind } from './bindings/CodeKind';
export type { CommandError } from './bindings/CommandError';
export type { District } from './bindings/District';
export type { FieldError } from './bindings/FieldError';
export type { ImportReport } from './bindings/ImportReport';
export type { RowNote } from './bindings/RowNote';
export type { Venue } from './bindings/Venue';
export type { VenueInput } from './bindings/VenueInput';

/** The keys of VenueInput, in the order the form shows them. */
export const VENUE_FIELDS = [
  'kind',
  'category',
  'name',
  'district',
  'address',
  'manager_name',
  'manager_phone',
] as const;

export type VenueField = (typeof VENUE_FIELDS)[number];

export function isVenueField(key: string): key is VenueField {
  return (VENUE_FIELDS as readonly string[]).includes(key);
}
