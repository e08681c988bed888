import { describe, expect, it } from 'vitest';
import { applyZoom, nextZoom, savedZoom, zoomKey } from './zoom';

const key = (k: string, ctrlKey = true, altKey = false) => ({ key: k, ctrlKey, metaKey: false, altKey });

describe('zoom', () => {
  it('reads Ctrl+= / Ctrl++ / Ctrl+- / Ctrl+0 and nothing else', () => {
    expect(zoomKey(key('='))).toBe('in');
    expect(zoomKey(key('+'))).toBe('in');
    expect(zoomKey(key('-'))).toBe('out');
    expect(zoomKey(key('0'))).toBe('reset');
    expect(zoomKey(key('=', false))).toBeNull();
    expect(zoomKey(key('=', true, true))).toBeNull();
    expect(zoomKey(key('a'))).toBeNull();
  });

  it('steps through the levels and stops at the ends', () => {
    expect(nextZoom(1, 'in')).toBe(1.1);
    expect(nextZoom(1, 'out')).toBe(0.9);
    expect(nextZoom(2, 'in')).toBe(2);
    expect(nextZoom(0.8, 'out')).toBe(0.8);
    expect(nextZoom(1.5, 'reset')).toBe(1);
    expect(nextZoom(1.33, 'in')).toBe(1.1);
  });

  it('applies a level to the page and remembers it; a stored value that is not a level is 100%', () => {
    const store = new Map<string, string>();
    const storage = { getItem: (k: string) => store.get(k) ?? null, setItem: (k: string, v: string) => void store.set(k, v) };
    applyZoom(1.25, storage);
    expect(document.documentElement.style.getPropertyValue('--zoom')).toBe('1.25');
    expect(savedZoom(storage)).toBe(1.25);
    store.set('placecode.zoom', '7');
    expect(savedZoom(storage)).toBe(1);
    applyZoom(1, storage);
  });
});
