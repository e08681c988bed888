import { afterEach, describe, expect, it, vi } from 'vitest';
import { FormErrors } from './formErrors.svelte';

const invalid = (fields: { field: string; message: string }[]) => ({
  code: 'invalid',
  message: fields[0]?.message ?? '',
  fields,
  similar: [],
});

function inputs(...ids: string[]): HTMLInputElement[] {
  return ids.map((id) => {
    const input = document.createElement('input');
    input.id = id;
    document.body.append(input);
    return input;
  });
}

afterEach(() => {
  document.body.replaceChildren();
});

describe('FormErrors', () => {
  it('shows messages under their fields, the rest in the banner, and focuses the first field in error', async () => {
    const [, pin] = inputs('f-name', 'f-pin');
    const errors = new FormErrors();
    const before = vi.fn();
    await errors.show(
      invalid([
        { field: 'pin', message: 'PIN：应为4至8位数字' },
        { field: 'other', message: '操作失败' },
      ]),
      ['name', 'pin'],
      { id: (k) => `f-${k}`, before },
    );
    expect(errors.fields).toEqual({ pin: ['PIN：应为4至8位数字'] });
    expect(errors.banner).toBe('操作失败');
    expect(errors.any).toBe(true);
    expect(before).toHaveBeenCalledWith('pin');
    expect(pin).toHaveFocus();
  });

  it('takes the first field in the order of the keys, not of the messages', async () => {
    const [name] = inputs('f-name', 'f-pin');
    const errors = new FormErrors();
    await errors.show(
      invalid([
        { field: 'pin', message: 'PIN不对' },
        { field: 'name', message: '姓名：必填' },
      ]),
      ['name', 'pin'],
      { id: (k) => `f-${k}` },
    );
    expect(name).toHaveFocus();
  });

  it('hands signed_out to onsignedout when given, else shows it', async () => {
    const signedOut = { code: 'signed_out', message: '请先登录', fields: [], similar: [] };
    const onsignedout = vi.fn();
    const errors = new FormErrors();
    await errors.show(signedOut, ['name'], { id: (k) => k, onsignedout });
    expect(onsignedout).toHaveBeenCalledTimes(1);
    expect(errors.banner).toBeNull();

    await errors.show(signedOut, ['name'], { id: (k) => k });
    expect(errors.banner).toBe('请先登录');
  });

  it('drops the messages of an edited field, and clears everything', () => {
    const errors = new FormErrors();
    errors.fields = { name: ['姓名：必填'], pin: ['PIN不对'] };
    errors.banner = '操作失败';
    errors.edited('name');
    expect(errors.fields).toEqual({ pin: ['PIN不对'] });
    errors.clear();
    expect(errors.fields).toEqual({});
    expect(errors.banner).toBeNull();
    expect(errors.any).toBe(false);
  });
});
