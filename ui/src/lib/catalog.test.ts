import { afterEach, describe, expect, it } from 'vitest';
import { catalog } from '../test/fixtures';
import { categoryLabel, choicesIn, districtLabel, kindLabel } from './catalog';
import { setLocale } from './i18n';

afterEach(() => setLocale('zh-CN'));

describe('the catalogue in the desk language', () => {
  it('shows the official Chinese labels, and English ones when the desk speaks English', () => {
    expect(categoryLabel(catalog, 'hotel')).toBe('宾馆酒店');
    expect(districtLabel(catalog, 'shunhe')).toBe('顺河回族区');
    setLocale('en');
    expect(categoryLabel(catalog, 'hotel')).toBe('Hotel');
    expect(districtLabel(catalog, 'shunhe')).toBe('Shunhe Hui District');
    expect(kindLabel(catalog, 'checkpoint')).toBe('Exclusive venue code · traffic checkpoint');
    expect(choicesIn('districts', catalog.districts).map((c) => c.label)).toContain('Lankao County');
    expect(categoryLabel(catalog, 'no_such_key')).toBe('no_such_key');
  });
});
