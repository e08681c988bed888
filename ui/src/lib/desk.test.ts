import { describe, expect, it } from 'vitest';
import { classify } from './desk';

describe('classify', () => {
  it('reads four digits as the last four', () => {
    expect(classify('1234')).toEqual({ kind: 'last4', digits: '1234' });
    expect(classify(' 0001 ')).toEqual({ kind: 'last4', digits: '0001' });
  });

  it('allows X (either case)', () => {
    expect(classify('002x')).toEqual({ kind: 'last4', digits: '002X' });
    expect(classify('002X')).toEqual({ kind: 'last4', digits: '002X' });
    expect(classify('0x21')).toEqual({ kind: 'last4', digits: '0X21' });
  });

  it('reads four letters or digits of any document as the last four', () => {
    expect(classify('567a')).toEqual({ kind: 'last4', digits: '567A' });
    expect(classify('ＡＢ１２')).toEqual({ kind: 'last4', digits: 'AB12' });
    expect(classify('12-4')).toEqual({ kind: 'id', idNumber: '12-4' });
    expect(classify('H12345678')).toEqual({ kind: 'id', idNumber: 'H12345678' });
  });

  it('accepts full-width digits from a Chinese IME', () => {
    expect(classify('１２３４')).toEqual({ kind: 'last4', digits: '1234' });
    expect(classify('００２ｘ')).toEqual({ kind: 'last4', digits: '002X' });
  });

  it('sends anything else as a full ID number for the backend to check', () => {
    expect(classify('11010519491231002X')).toEqual({ kind: 'id', idNumber: '11010519491231002X' });
    expect(classify('110105 19491231 002x')).toEqual({ kind: 'id', idNumber: '11010519491231002x' });
    expect(classify('123')).toEqual({ kind: 'id', idNumber: '123' });
    expect(classify('12345')).toEqual({ kind: 'id', idNumber: '12345' });
  });

  it('ignores an empty box', () => {
    expect(classify('')).toBeNull();
    expect(classify('   ')).toBeNull();
  });
});
