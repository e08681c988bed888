import { describe, expect, it } from 'vitest';
import { admitted, colourLabel, worstColour } from './colour';
import { entranceLabel, isSynced, nextStatus, statusLabel, syncLabel, wayInLabel, wholeNumber } from './labels';

describe('colours', () => {
  it('picks the worst colour', () => {
    expect(worstColour([])).toBe('green');
    expect(worstColour(['green', 'yellow', 'green'])).toBe('yellow');
    expect(worstColour(['yellow', 'red', 'green'])).toBe('red');
  });

  it('names them and admits green only', () => {
    expect(['green', 'yellow', 'red'].map((c) => colourLabel(c as 'green'))).toEqual(['绿码', '黄码', '红码']);
    expect(admitted('green')).toBe(true);
    expect(admitted('yellow')).toBe(false);
    expect(admitted('red')).toBe(false);
  });
});

describe('labels', () => {
  it('names the ways in', () => {
    expect(wayInLabel('id_number')).toBe('刷证/输入证号');
    expect(wayInLabel('last4')).toBe('后四位');
    expect(wayInLabel('declaration')).toBe('首次申报');
    expect(wayInLabel('manual')).toBe('手工登记');
  });

  it('never shows anything but "synced" as synced', () => {
    expect(isSynced('synced')).toBe(true);
    for (const s of ['pending', '', 'failed', 'SYNCED']) {
      expect(isSynced(s)).toBe(false);
      expect(syncLabel(s)).toBe('未同步');
    }
    expect(syncLabel('synced')).toBe('已同步');
  });

  it('moves incidents forward one step', () => {
    expect(nextStatus('isolated')).toBe('reported');
    expect(nextStatus('reported')).toBe('handed_over');
    expect(nextStatus('handed_over')).toBeNull();
    expect(statusLabel('handed_over')).toBe('已闭环转运');
  });
});

describe('wholeNumber', () => {
  it('reads whole numbers, full-width digits too, within the digits allowed', () => {
    expect(wholeNumber(' 120 ', 4)).toBe(120);
    expect(wholeNumber('８００', 4)).toBe(800);
    expect(wholeNumber('12345', 4)).toBeNull();
    expect(wholeNumber('1234567', 7)).toBe(1234567);
    for (const bad of ['', '-5', '1.5', '八百', '1e3', '12 3', '😀']) expect(wholeNumber(bad, 7)).toBeNull();
  });
});

describe('entranceLabel', () => {
  it('names the desk’s own entrance in the desk’s language and leaves a code’s label as it is', () => {
    expect(entranceLabel('登记台')).toBe('登记台');
    expect(entranceLabel('南门')).toBe('南门');
  });
});
