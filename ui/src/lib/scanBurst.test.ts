import { describe, expect, it } from 'vitest';
import { ScanBurst, unscan } from './scanBurst';

const key = (k: string) => new KeyboardEvent('keydown', { key: k });

describe('ScanBurst', () => {
  it('takes 18 characters a few milliseconds apart and their Enter for a scan', () => {
    const b = new ScanBurst();
    let t = 1000;
    for (const c of '41020219900307001X') expect(b.feed(key(c), (t += 5))).toBeNull();
    expect(b.feed(key('Enter'), (t += 5))).toBe('41020219900307001X');
    // The run is spent: a second Enter is a person's.
    expect(b.feed(key('Enter'), (t += 5))).toBeNull();
  });

  it('takes a scan one of whose keys a busy machine held back', () => {
    const b = new ScanBurst();
    let t = 1000;
    [...'41020219900307001X'].forEach((c, i) => b.feed(key(c), (t += i === 9 ? 120 : 2)));
    expect(b.feed(key('Enter'), (t += 2))).toBe('41020219900307001X');
  });

  it('leaves a person typing, a quick typist, a short run, a pause before Enter and other keys alone', () => {
    const b = new ScanBurst();
    let t = 1000;
    for (const c of '410202199003070014') b.feed(key(c), (t += 120));
    expect(b.feed(key('Enter'), (t += 120))).toBeNull();
    for (const c of '410202199003070014') b.feed(key(c), (t += 60));
    expect(b.feed(key('Enter'), (t += 60))).toBeNull();
    for (const c of '12345678901') b.feed(key(c), (t += 5));
    expect(b.feed(key('Enter'), (t += 5))).toBeNull();
    for (const c of '410202199003070014') b.feed(key(c), (t += 5));
    expect(b.feed(key('Enter'), (t += 300))).toBeNull();
    for (const c of '4102021990abc03070014') b.feed(key(c), (t += 5));
    expect(b.feed(key('Enter'), (t += 5))).toBeNull();
  });

  it('takes the scan back out of the field it landed in', () => {
    const input = document.createElement('input');
    input.value = '东门410202199003070014';
    let seen = '';
    input.addEventListener('input', () => (seen = input.value));
    unscan(input, '410202199003070014');
    expect(input.value).toBe('东门');
    expect(seen).toBe('东门');
    unscan(input, '999');
    expect(input.value).toBe('东门');
  });
});
