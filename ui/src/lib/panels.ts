import type { MessageKey } from './i18n';

/** One entry of the main navigation. App.svelte pairs each id with the panel it shows. */
export interface TabDef<Id extends string = string> {
  id: Id;
  /** The tab's text. */
  label: MessageKey;
  /** data-testid of the tab button. */
  testid: string;
}

/**
 * The tabs, in order; Alt+1 selects the first, Alt+2 the second, and so on (up to Alt+9).
 * To add a tab: add it here and give App.svelte a panel for its id.
 */
export const TABS = [
  { id: 'register', label: 'nav.register', testid: 'nav-register' },
  { id: 'venues', label: 'nav.venues', testid: 'nav-venues' },
  { id: 'import', label: 'nav.import', testid: 'nav-import' },
] as const satisfies readonly TabDef[];

export type TabId = (typeof TABS)[number]['id'];

/** The tab that Alt+<digit> selects, from a keydown event; null if it is not such a shortcut. */
export function shortcutTab(event: KeyboardEvent): TabId | null {
  if (!event.altKey || event.ctrlKey || event.metaKey || event.shiftKey) return null;
  const digit = /^(?:Digit|Numpad)([1-9])$/.exec(event.code)?.[1] ?? /^[1-9]$/.exec(event.key)?.[0];
  if (!digit) return null;
  return TABS[Number(digit) - 1]?.id ?? null;
}
