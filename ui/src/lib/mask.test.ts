import { describe, expect, it, vi } from 'vitest';
import { characters, maskName, maskPhone } from './mask';

describe('maskName', () => {
  it('keeps the first Chinese character and stars the rest', () => {
    expect(maskName('王建国')).toBe('王**');
    expect(maskName('李娜')).toBe('李*');
    expect(maskName('欧阳娜娜')).toBe('欧***');
  });

  it('stars a one-character name too, so the list never shows a whole name', () => {
    expect(maskName('王')).toBe('王*');
  });

  it('counts a rare character outside the BMP as one character, not two UTF-16 units', () => {
    expect('𠈌'.length).toBe(2); // the reason for this test
    expect(maskName('𠈌建国')).toBe('𠈌**');
    expect(maskName('张𠈌')).toBe('张*');
    expect(maskName('张𠈌𡒄')).toBe('张**');
  });

  it('never splits a surrogate pair', () => {
    const masked = maskName('𠈌𡒄');
    expect(masked).toBe('𠈌*');
    expect(masked).not.toMatch(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])/);
  });

  it('handles emoji as single characters', () => {
    expect(maskName('😀小明')).toBe('😀**');
    expect(maskName('王😀')).toBe('王*');
    expect(maskName('👍🏽李')).toBe('👍🏽*');
  });

  it('masks minority names with the middle dot like any other character', () => {
    expect(maskName('买买提·艾力')).toBe('买*****');
  });

  it('keeps only the first letter of a Latin name, with three stars whatever its length', () => {
    expect(maskName('John Smith')).toBe('J***');
    expect(maskName('Al')).toBe('A***');
    expect(maskName('Émile')).toBe('É***');
  });

  it('trims and returns an empty string for an empty name', () => {
    expect(maskName('  王建国 ')).toBe('王**');
    expect(maskName('')).toBe('');
    expect(maskName('   ')).toBe('');
  });
});

describe('maskPhone', () => {
  it('keeps the first 3 and last 4 digits of a mobile', () => {
    expect(maskPhone('13800000001')).toBe('138****0001');
    expect(maskPhone('13837801234')).toBe('138****1234');
  });

  it('keeps the area code and last 4 digits of a landline', () => {
    expect(maskPhone('0371-23456789')).toBe('0371-****6789');
    expect(maskPhone('(0371)23456789')).toBe('0371-****6789');
    expect(maskPhone('037123456789')).toBe('0371-****6789');
  });

  it('accepts a mobile typed with spaces, dashes, +86 or full-width digits', () => {
    expect(maskPhone('138 3780 0001')).toBe('138****0001');
    expect(maskPhone('+86 138-3780-0001')).toBe('138****0001');
    expect(maskPhone('１３８３７８００００１')).toBe('138****0001');
  });

  it('never returns the whole number, whatever it is', () => {
    for (const phone of ['23456789', '12345', '1234', '999999999999999']) {
      const masked = maskPhone(phone);
      expect(masked).not.toBe(phone);
      expect(masked).toContain('*');
    }
    expect(maskPhone('23456789')).toBe('****6789');
    expect(maskPhone('1234')).toBe('****');
  });

  it('returns an empty string when there is no number', () => {
    expect(maskPhone('')).toBe('');
    expect(maskPhone('无')).toBe('');
  });
});

describe('characters', () => {
  it('splits by user-perceived characters', () => {
    expect(characters('a𠈌😀')).toEqual(['a', '𠈌', '😀']);
    expect(characters('👨‍👩‍👧')).toHaveLength(1);
  });
});

describe('without Intl.Segmenter (older webviews)', () => {
  it('still masks by Unicode code points, never by UTF-16 units', async () => {
    const { Segmenter: _segmenter, ...rest } = Intl as typeof Intl & { Segmenter?: unknown };
    vi.resetModules();
    vi.stubGlobal('Intl', rest);
    try {
      const fallback = await import('./mask');
      expect(fallback.characters('a𠈌😀')).toEqual(['a', '𠈌', '😀']);
      expect(fallback.maskName('𠈌建国')).toBe('𠈌**');
      expect(fallback.maskName('张𠈌')).toBe('张*');
      expect(fallback.maskName('😀小明')).toBe('😀**');
    } finally {
      vi.unstubAllGlobals();
      vi.resetModules();
    }
  });
});
