// The seam to the Rust side: the only module that talks to Tauri. Components call these
// functions and never `invoke` directly, so tests mock this one module.
//
// Every function rejects with a `CommandError`, whatever went wrong.
import { invoke } from '@tauri-apps/api/core';
import { toCommandError } from './errors';
import type { Catalog, ImportReport, Venue, VenueInput } from './types';

async function call<T>(command: string, args?: Parameters<typeof invoke>[1]): Promise<T> {
  try {
    return await invoke<T>(command, args);
  } catch (e) {
    throw toCommandError(e);
  }
}

/** The fixed lists (码的类型, 场所类型, 所在辖区) with their official labels. */
export function catalog(): Promise<Catalog> {
  return call<Catalog>('catalog');
}

/** Venues matching `query` (empty: all). */
export function listVenues(query: string): Promise<Venue[]> {
  return call<Venue[]>('list_venues', { query });
}

export function registerVenue(input: VenueInput, confirmSimilar: boolean): Promise<Venue> {
  return call<Venue>('register_venue', { input, confirmSimilar });
}

export function updateVenue(id: string, input: VenueInput, confirmSimilar: boolean): Promise<Venue> {
  return call<Venue>('update_venue', { id, input, confirmSimilar });
}

/** Makes `id` the venue this desk serves (本台服务场所). */
export function setServedVenue(id: string): Promise<Venue> {
  return call<Venue>('set_served_venue', { id });
}

export function servedVenue(): Promise<Venue | null> {
  return call<Venue | null>('served_venue');
}

/** Sends the file's bytes as the raw request body. */
export function importVenuesCsv(bytes: Uint8Array): Promise<ImportReport> {
  return call<ImportReport>('import_venues_csv', bytes);
}
