/** How long typing must pause before the search runs. */
export const DEBOUNCE_MS = 200;

/** What a search does with its answers. */
export interface SearchHandlers<T> {
  /** The answer to the latest query; `shown` already says which query it is. */
  result: (value: T) => void | Promise<void>;
  /** What the latest query threw. */
  error: (raw: unknown) => void;
  /** A query typed so far that is searched only on Enter, not when the typing pauses. */
  onEnterOnly?: (q: string) => boolean;
}

/**
 * Search as you type: runs once the typing pauses, or at once on `load` (Enter). Only the latest
 * query counts: the answer to an older one, or its failure, is dropped. Reactive.
 */
export class LiveSearch<T> {
  /** What is in the search box. */
  query = $state('');
  /** The query the answer shown was found with. */
  shown = $state('');
  /** A search is running. */
  loading = $state(false);

  #fetch: (q: string) => Promise<T>;
  #on: SearchHandlers<T>;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #latest = 0;

  constructor(fetch: (q: string) => Promise<T>, on: SearchHandlers<T>) {
    this.#fetch = fetch;
    this.#on = on;
  }

  /** Searches for `q` now; a search waiting for the typing to pause is dropped. */
  load = async (q: string): Promise<void> => {
    clearTimeout(this.#timer);
    const mine = ++this.#latest;
    this.loading = true;
    try {
      const value = await this.#fetch(q);
      if (mine !== this.#latest) return;
      this.shown = q;
      await this.#on.result(value);
    } catch (raw) {
      if (mine !== this.#latest) return;
      this.#on.error(raw);
    } finally {
      if (mine === this.#latest) this.loading = false;
    }
  };

  /** The query was typed: search for it once the typing pauses. */
  typed = (): void => {
    clearTimeout(this.#timer);
    const q = this.query;
    if (this.#on.onEnterOnly?.(q)) return;
    this.#timer = setTimeout(() => void this.load(q), DEBOUNCE_MS);
  };

  /** Drops a search waiting for the typing to pause (the panel is closing). */
  stop = (): void => {
    clearTimeout(this.#timer);
  };
}
