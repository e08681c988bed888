import { truckBoard } from './api';
import { toCommandError } from './errors';
import { followSyncEnds } from './syncWatch.svelte';
import type { TripBoard } from './types';

/** How often an open truck screen asks for the board again (trips arrive, become overdue). */
export const BOARD_REFRESH_MS = 60_000;

/**
 * The trip board of a truck screen: loaded at once, again every minute, after each action and
 * after each sync that sent or received something (so 同步 and the other desk's half agree with
 * the header); only the latest answer counts. `onMount(() => board.start())` starts and stops it.
 * Reactive.
 */
export class TripBoardWatch {
  board = $state<TripBoard | null>(null);
  /** Why the board could not be loaded; null once it is. */
  error = $state<string | null>(null);
  /** When the board shown was loaded: the hours since entry are counted to it. */
  now = $state(Date.now());

  #onsignedout: () => void;
  #latest = 0;

  constructor(onsignedout: () => void) {
    this.#onsignedout = onsignedout;
  }

  load = async (): Promise<void> => {
    const mine = ++this.#latest;
    try {
      const board = await truckBoard();
      if (mine === this.#latest) this.set(board);
    } catch (raw) {
      if (mine !== this.#latest) return;
      const e = toCommandError(raw);
      if (e.code === 'signed_out') this.#onsignedout();
      else this.error = e.message;
    }
  };

  /** A board a command answered with (truck_set_overdue_hours). */
  set = (board: TripBoard): void => {
    ++this.#latest;
    this.board = board;
    this.now = Date.now();
    this.error = null;
  };

  start = (): (() => void) => {
    void this.load();
    const timer = setInterval(() => void this.load(), BOARD_REFRESH_MS);
    const stopFollowing = followSyncEnds(() => void this.load());
    return () => {
      clearInterval(timer);
      stopFollowing();
    };
  };
}
