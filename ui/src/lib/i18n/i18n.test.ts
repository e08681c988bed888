import { describe, expect, it } from 'vitest';
import { t, tList } from '.';

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
