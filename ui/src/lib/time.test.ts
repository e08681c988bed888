import { describe, expect, it } from 'vitest';
import { addDays, clockTime, dateTime, shanghaiDay, shortDateTime } from './time';

describe('Shanghai times', () => {
  it('shows UTC times as China Standard Time, whatever the machine’s zone', () => {
    expect(clockTime('2026-11-27T06:03:22Z')).toBe('14:03:22');
    expect(clockTime('2026-11-27T06:03:22Z', false)).toBe('14:03');
    expect(clockTime('2026-11-27T14:03:22+08:00')).toBe('14:03:22');
  });

  it('crosses midnight into the next Shanghai day', () => {
    expect(dateTime('2026-11-27T16:30:00Z')).toBe('2026-11-28 00:30');
    expect(clockTime('2026-12-31T23:59:59.900Z')).toBe('07:59:59');
  });

  it('leaves out the date for today', () => {
    const now = new Date('2026-11-27T10:00:00Z');
    expect(shortDateTime('2026-11-27T01:00:00Z', now)).toBe('09:00');
    expect(shortDateTime('2026-11-26T01:00:00Z', now)).toBe('11-26 09:00');
  });

  it('returns an empty string for something that is not a time', () => {
    expect(clockTime('')).toBe('');
    expect(dateTime('昨天')).toBe('');
  });
});

describe('days', () => {
  it('is the Shanghai day, and steps across months and years', () => {
    expect(shanghaiDay(new Date('2026-11-26T16:30:00Z'))).toBe('2026-11-27');
    expect(shanghaiDay(new Date('2026-11-26T15:59:00Z'))).toBe('2026-11-26');
    expect(addDays('2026-12-31', 1)).toBe('2027-01-01');
    expect(addDays('2026-03-01', -1)).toBe('2026-02-28');
    expect(addDays('2026-11-27x', 1)).toBeNull();
    expect(addDays('２０２６－１１－２８', 0)).toBe('2026-11-28');
    expect(addDays('2026年11月8日', 0)).toBe('2026-11-08');
    expect(addDays('2026/11/27', -1)).toBe('2026-11-26');
    expect(addDays('2026-02-29', 0)).toBeNull();
    expect(addDays('2026-13-45', 0)).toBeNull();
    expect(addDays('', 1)).toBeNull();
  });
});
