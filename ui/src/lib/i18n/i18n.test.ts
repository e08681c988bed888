import { describe, expect, it } from 'vitest';
import { LOCALE_KEY, locale, saveLocale, savedLocale, setLocale, t, tList } from '.';
import en from './en';
import zhCN from './zh-CN';

describe('t', () => {
  it('looks up nested keys', () => {
    expect(t('nav.register')).toBe('场所登记');
    expect(t('fields.manager_phone')).toBe('联系电话');
    expect(t('nav.checkin')).toBe('登记台');
    expect(t('result.red')).toBe('红码 · 禁止进入');
  });

  it('fills in parameters', () => {
    expect(t('form.success', { name: '鼓楼区便民超市' })).toBe('已登记：鼓楼区便民超市');
    expect(t('import.summary', { total: 3, imported: 1, rejected: 2 })).toBe(
      '共 3 行，导入 1 行，驳回 2 行',
    );
  });

  it('fills in the no-match message of the desk', () => {
    expect(t('checkin.noMatch', { digits: '1234' })).toBe('没有找到后四位为1234的登记人员，请输入完整证件号码');
  });

  it('leaves a placeholder without a value as it is', () => {
    expect(t('form.success')).toBe('已登记：{name}');
  });

  it('returns lists', () => {
    expect(tList('import.columns')).toHaveLength(7);
    expect(tList('import.columns')[2]).toBe('场所名称');
  });
});

/** Every text of a language file by its dotted key (lists by index). */
function leaves(node: unknown, prefix = ''): Map<string, string> {
  const out = new Map<string, string>();
  if (typeof node === 'string') {
    out.set(prefix, node);
  } else if (node && typeof node === 'object') {
    for (const [k, v] of Object.entries(node)) {
      for (const [kk, vv] of leaves(v, prefix ? `${prefix}.${k}` : k)) out.set(kk, vv);
    }
  }
  return out;
}

const placeholders = (s: string): string[] => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1] ?? '').sort();

describe('the language files', () => {
  it('have the same keys in both languages, none empty, each with the same placeholders and line breaks', () => {
    const zh = leaves(zhCN);
    const english = leaves(en);
    expect([...english.keys()]).toEqual([...zh.keys()]);
    expect(zh.size).toBeGreaterThan(700);
    for (const [key, text] of zh) {
      const other = english.get(key) ?? '';
      expect(text.trim(), key).not.toBe('');
      expect(other.trim(), key).not.toBe('');
      expect(placeholders(other), key).toEqual(placeholders(text));
      expect(other.split('\n').length, key).toBe(text.split('\n').length);
    }
  });

  it('switches the whole desk to English and back', () => {
    setLocale('en');
    try {
      expect(locale()).toBe('en');
      expect(document.documentElement.lang).toBe('en');
      expect(t('nav.checkin')).not.toBe('登记台');
      expect(t('documentKinds.foreign_permanent_resident')).toBe('Foreign permanent resident ID card');
      expect(t('checkin.noMatch', { digits: '1234' })).toContain('1234');
    } finally {
      setLocale('zh-CN');
    }
    expect(t('nav.checkin')).toBe('登记台');
  });

  it('keeps the choice for this laptop, Chinese unless English was chosen', () => {
    localStorage.removeItem(LOCALE_KEY);
    expect(savedLocale()).toBe('zh-CN');
    saveLocale('en');
    expect(savedLocale()).toBe('en');
    localStorage.setItem(LOCALE_KEY, '<script>');
    expect(savedLocale()).toBe('zh-CN');
    localStorage.removeItem(LOCALE_KEY);
  });
});
