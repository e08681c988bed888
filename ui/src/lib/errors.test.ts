import { describe, expect, it } from 'vitest';
import { forForm } from './errors';

const err = (fields: { field: string; message: string }[], message = 'x') => ({
  code: 'invalid',
  message,
  fields,
  similar: [],
});

describe('forForm', () => {
  it('puts known keys under their fields and the rest in the banner', () => {
    const shown = forForm(
      err([
        { field: 'name', message: '姓名：必填' },
        { field: 'name', message: '姓名：太长' },
        { field: 'dependents', message: '请至少登记一人' },
        { field: '', message: '操作失败' },
      ]),
      (k) => k === 'name',
    );
    expect(shown.fields).toEqual({ name: ['姓名：必填', '姓名：太长'] });
    expect(shown.banner).toBe('请至少登记一人\n操作失败');
  });

  it('adds where to set the served venue to a "venue" error', () => {
    const shown = forForm(err([{ field: 'venue', message: '请先在“场所列表”中设置本台服务场所' }]), () => false);
    expect(shown.banner).toBe('请先在“场所列表”中设置本台服务场所\n请到“场所列表”（Alt+3）中把本场所“设为本台场所”。');
  });

  it('uses the message when there are no field errors', () => {
    expect(forForm({ code: 'forbidden', message: '需要管理员权限', fields: [], similar: [] }, () => true)).toEqual({
      fields: {},
      banner: '需要管理员权限',
    });
  });

  it('has no banner when every error has its field', () => {
    expect(forForm(err([{ field: 'pin', message: 'PIN不对' }]), () => true).banner).toBeNull();
  });
});
