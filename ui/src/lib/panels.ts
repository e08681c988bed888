import { t, type MessageKey } from './i18n';
import type { Venue } from './types';

/** One entry of the main navigation. App.svelte pairs each id with the panel it shows. */
export interface TabDef<Id extends string = string> {
  id: Id;
  /** The tab's text. */
  label: MessageKey;
  /** data-testid of the tab button. */
  testid: string;
  /** The panel works for the signed-in operator; without one it shows the sign-in form. */
  signedIn: boolean;
  /** Only the desk's administrator may use the panel; others see why not. */
  admin: boolean;
}

/**
 * The tabs, in order; Alt+1 selects the first, Alt+2 the second, and so on (up to Alt+9).
 * To add a tab: add it here and give App.svelte a panel for its id. A tab shown only at some
 * desks (货车) comes last, so that the others keep their shortcuts wherever it is hidden.
 */
export const TABS = [
  { id: 'checkin', label: 'nav.checkin', testid: 'nav-checkin', signedIn: true, admin: false },
  { id: 'register', label: 'nav.register', testid: 'nav-register', signedIn: true, admin: true },
  { id: 'venues', label: 'nav.venues', testid: 'nav-venues', signedIn: true, admin: false },
  { id: 'import', label: 'nav.import', testid: 'nav-import', signedIn: true, admin: true },
  { id: 'today', label: 'nav.today', testid: 'nav-today', signedIn: true, admin: false },
  { id: 'incidents', label: 'nav.incidents', testid: 'nav-incidents', signedIn: true, admin: false },
  { id: 'settings', label: 'nav.settings', testid: 'nav-settings', signedIn: true, admin: false },
  { id: 'trucks', label: 'nav.trucks', testid: 'nav-trucks', signedIn: true, admin: false },
] as const satisfies readonly TabDef[];

export type TabId = (typeof TABS)[number]['id'];

/** The tab that Alt+<digit> selects, from a keydown event; null if it is not such a shortcut. */
export function shortcutTab(event: KeyboardEvent): TabId | null {
  if (!event.altKey || event.ctrlKey || event.metaKey || event.shiftKey) return null;
  const digit = /^(?:Digit|Numpad)([1-9])$/.exec(event.code)?.[1] ?? /^[1-9]$/.exec(event.key)?.[0];
  if (!digit) return null;
  return TABS[Number(digit) - 1]?.id ?? null;
}

/** The shortcut that selects a tab, as shown to the user: "Alt+3". */
export function shortcutOf(id: TabId): string {
  return t('nav.shortcut', { n: TABS.findIndex((tab) => tab.id === id) + 1 });
}

/** Which truck screen (货车) the desk shows, by the kind of venue it serves; null: none. */
export function truckScreen(served: Pick<Venue, 'kind'> | null): 'checkpoint' | 'destination' | null {
  const kind = served?.kind;
  return kind === 'checkpoint' || kind === 'destination' ? kind : null;
}

/** Whether the tab is shown at a desk serving `served`: 货车 only at a checkpoint or a destination. */
export function tabShown(id: TabId, served: Pick<Venue, 'kind'> | null): boolean {
  return id !== 'trucks' || truckScreen(served) !== null;
}
