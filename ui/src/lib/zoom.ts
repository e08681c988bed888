// Zoom for older staff: Ctrl+= (or Ctrl++) and Ctrl+- scale the whole desk through the root font
// size (--zoom in app.css; the layout is in rem), Ctrl+0 returns to 100%; the level is remembered
// on this computer (a display preference, nothing about people or venues).

/** The levels, as a share of the normal size. */
export const ZOOM_LEVELS = [0.8, 0.9, 1, 1.1, 1.25, 1.5, 1.75, 2] as const;

const KEY = 'placecode.zoom';

/** What a key press asks of the zoom, if anything. */
export function zoomKey(event: Pick<KeyboardEvent, 'ctrlKey' | 'metaKey' | 'altKey' | 'key'>): 'in' | 'out' | 'reset' | null {
  if (!(event.ctrlKey || event.metaKey) || event.altKey) return null;
  if (event.key === '=' || event.key === '+') return 'in';
  if (event.key === '-' || event.key === '_') return 'out';
  if (event.key === '0') return 'reset';
  return null;
}

/** The level after `action`, from `level` (an unknown level counts as 100%). */
export function nextZoom(level: number, action: 'in' | 'out' | 'reset'): number {
  if (action === 'reset') return 1;
  const i = ZOOM_LEVELS.findIndex((z) => z === level);
  const at = i < 0 ? ZOOM_LEVELS.indexOf(1) : i;
  const to = action === 'in' ? Math.min(at + 1, ZOOM_LEVELS.length - 1) : Math.max(at - 1, 0);
  return ZOOM_LEVELS[to] ?? 1;
}

/** The remembered level (100% when none, or when what is stored is not a level). */
export function savedZoom(storage: Pick<Storage, 'getItem'> | undefined = globalThis.localStorage): number {
  const v = Number(storage?.getItem(KEY));
  return (ZOOM_LEVELS as readonly number[]).includes(v) ? v : 1;
}

/** Applies `level` to the page and remembers it. */
export function applyZoom(level: number, storage: Pick<Storage, 'setItem'> | undefined = globalThis.localStorage): void {
  document.documentElement.style.setProperty('--zoom', String(level));
  storage?.setItem(KEY, String(level));
}
