import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { DEBOUNCE_MS, LiveSearch } from './search.svelte';

beforeEach(() => {
  vi.useFakeTimers();
});

afterEach(() => {
  vi.useRealTimers();
});

/** A fetch whose answers the test gives, one query at a time. */
function controlled() {
  const pending = new Map<string, (value: string) => void>();
  const fetch = vi.fn(
    (q: string) =>
      new Promise<string>((resolve) => {
        pending.set(q, resolve);
      }),
  );
  return { fetch, answer: (q: string) => pending.get(q)?.(`rows for ${q}`) };
}

describe('LiveSearch', () => {
  it('searches once the typing pauses', async () => {
    const fetch = vi.fn(async (q: string) => q);
    const search = new LiveSearch(fetch, { result: vi.fn(), error: vi.fn() });
    search.query = '龙';
    search.typed();
    search.query = '龙亭';
    search.typed();
    await vi.advanceTimersByTimeAsync(DEBOUNCE_MS - 1);
    expect(fetch).not.toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(1);
    expect(fetch).toHaveBeenCalledExactlyOnceWith('龙亭');
  });

  it('searches at once on load, dropping the search waiting for the pause', async () => {
    const fetch = vi.fn(async (q: string) => q);
    const result = vi.fn();
    const search = new LiveSearch(fetch, { result, error: vi.fn() });
    search.query = '龙亭';
    search.typed();
    await search.load('龙亭');
    await vi.advanceTimersByTimeAsync(DEBOUNCE_MS * 2);
    expect(fetch).toHaveBeenCalledExactlyOnceWith('龙亭');
    expect(result).toHaveBeenCalledExactlyOnceWith('龙亭');
    expect(search.shown).toBe('龙亭');
    expect(search.loading).toBe(false);
  });

  it('keeps only the answer to the latest query', async () => {
    const { fetch, answer } = controlled();
    const result = vi.fn();
    const search = new LiveSearch(fetch, { result, error: vi.fn() });
    const first = search.load('龙');
    const second = search.load('龙亭');
    answer('龙亭');
    await second;
    answer('龙');
    await first;
    expect(result).toHaveBeenCalledExactlyOnceWith('rows for 龙亭');
    expect(search.shown).toBe('龙亭');
    expect(search.loading).toBe(false);
  });

  it('reports the failure of the latest query only', async () => {
    const error = vi.fn();
    let fail = true;
    const search = new LiveSearch(
      async (q: string) => {
        if (fail) throw new Error(q);
        return q;
      },
      { result: vi.fn(), error },
    );
    const older = search.load('a');
    fail = false;
    await search.load('b');
    await older;
    expect(error).not.toHaveBeenCalled();

    fail = true;
    await search.load('c');
    expect(error).toHaveBeenCalledWith(new Error('c'));
  });
});
