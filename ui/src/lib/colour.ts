import { t, type MessageKey } from './i18n';
import type { Colour } from './types';

const RANK: Record<Colour, number> = { green: 0, yellow: 1, red: 2 };

/** The highest colour of several (red over yellow over green); green for none. */
export function worstColour(colours: Iterable<Colour>): Colour {
  let worst: Colour = 'green';
  for (const c of colours) if (RANK[c] > RANK[worst]) worst = c;
  return worst;
}

/** 绿码 / 黄码 / 红码 */
export function colourLabel(colour: Colour): string {
  return t(`colours.${colour}` satisfies MessageKey);
}

/** Green is admitted; yellow and red are refused and reported (R7). */
export function admitted(colour: Colour): boolean {
  return colour === 'green';
}

/** A copy of `items`, red ones first, then yellow, then green; in their order otherwise. */
export function worstFirst<T extends { colour: Colour }>(items: readonly T[]): T[] {
  return [...items].sort((a, b) => RANK[b.colour] - RANK[a.colour]);
}
