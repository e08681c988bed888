import { render, screen, waitFor } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import { beforeEach, describe, expect, it, vi } from 'vitest';

vi.mock('../lib/api');

import * as api from '../lib/api';
import { commandError, operator } from '../test/fixtures';
import OperatorAdmin from './OperatorAdmin.svelte';

const admin = operator({ id: 'op-1', name: '张敏', is_admin: true });
const clerk = operator({ id: 'op-2', name: '李娜', is_admin: false });

beforeEach(() => {
  vi.resetAllMocks();
  vi.mocked(api.operators).mockResolvedValue([admin, clerk]);
  vi.mocked(api.sessionSettings).mockResolvedValue({ idle_minutes: 10, retention_days: 28 });
});

describe('OperatorAdmin', () => {
  it('lists the operators, marking the administrator', async () => {
    render(OperatorAdmin, { operator: admin, onsignedout: vi.fn() });
    const rows = await screen.findAllByTestId('operator-row');
    expect(rows.map((r) => r.textContent?.replace(/\s+/g, ''))).toEqual(['张敏管理员当前登录', '李娜停用']);
  });

  it('lets the administrator stop an operator and start them again, never the administrator', async () => {
    const user = userEvent.setup();
    render(OperatorAdmin, { operator: admin, onsignedout: vi.fn() });
    const rows = await screen.findAllByTestId('operator-row');
    expect(rows[0]!.querySelector('[data-testid="operator-disable"]')).toBeNull();
    vi.mocked(api.setOperatorDisabled).mockResolvedValueOnce({ ...clerk, disabled: true });
    await user.click(screen.getByRole('button', { name: '停用登记员 李娜（不能再登录，已有记录保留）' }));
    expect(api.setOperatorDisabled).toHaveBeenCalledWith('op-2', true);
    expect(await screen.findByTestId('operator-notice')).toHaveTextContent('已停用登记员：李娜');
    expect(screen.getByTestId('operator-disabled')).toHaveTextContent('已停用');
    vi.mocked(api.setOperatorDisabled).mockResolvedValueOnce({ ...clerk, disabled: false });
    await user.click(screen.getByTestId('operator-enable'));
    expect(api.setOperatorDisabled).toHaveBeenLastCalledWith('op-2', false);
    await waitFor(() => expect(screen.queryByTestId('operator-disabled')).toBeNull());
  });

  it('offers a clerk no 停用', async () => {
    render(OperatorAdmin, { operator: clerk, onsignedout: vi.fn() });
    await screen.findAllByTestId('operator-row');
    expect(screen.queryByTestId('operator-disable')).toBeNull();
  });

  it('lets the administrator add an operator', async () => {
    const user = userEvent.setup();
    const wang = operator({ id: 'op-3', name: '王芳', is_admin: false });
    vi.mocked(api.addOperator).mockResolvedValue(wang);
    render(OperatorAdmin, { operator: admin, onsignedout: vi.fn() });
    await screen.findAllByTestId('operator-row');

    await user.type(screen.getByTestId('operator-add-name'), '王芳');
    await user.type(screen.getByTestId('operator-add-pin'), '864209');
    await user.type(screen.getByTestId('operator-add-pin2'), '864209');
    await user.click(screen.getByTestId('operator-add-submit'));

    expect(api.addOperator).toHaveBeenCalledWith('王芳', '864209');
    expect(await screen.findByTestId('operator-notice')).toHaveTextContent('已添加登记员：王芳');
    expect(screen.getAllByTestId('operator-row')).toHaveLength(3);
    expect(screen.getByTestId('operator-add-name')).toHaveValue('');
    expect(screen.getByTestId('operator-add-pin')).toHaveValue('');
  });

  it('shows a duplicate name under the name', async () => {
    const user = userEvent.setup();
    vi.mocked(api.addOperator).mockRejectedValue(
      commandError({ code: 'invalid', message: '姓名：登记员“李娜”已存在', fields: [{ field: 'name', message: '姓名：登记员“李娜”已存在' }] }),
    );
    render(OperatorAdmin, { operator: admin, onsignedout: vi.fn() });
    await user.type(screen.getByTestId('operator-add-name'), '李娜');
    await user.type(screen.getByTestId('operator-add-pin'), '864209');
    await user.type(screen.getByTestId('operator-add-pin2'), '864209{Enter}');
    expect(await screen.findByTestId('error-name')).toHaveTextContent('姓名：登记员“李娜”已存在');
    expect(screen.getByTestId('operator-add-name')).toHaveFocus();
  });

  it('shows forbidden in a banner', async () => {
    const user = userEvent.setup();
    vi.mocked(api.addOperator).mockRejectedValue(commandError({ code: 'forbidden', message: '需要管理员权限' }));
    render(OperatorAdmin, { operator: admin, onsignedout: vi.fn() });
    await user.type(screen.getByTestId('operator-add-name'), '王芳');
    await user.type(screen.getByTestId('operator-add-pin'), '864209');
    await user.type(screen.getByTestId('operator-add-pin2'), '864209{Enter}');
    expect(await screen.findByTestId('operator-error')).toHaveTextContent('需要管理员权限');
  });

  it('offers no form to an operator who is not the administrator', async () => {
    render(OperatorAdmin, { operator: clerk, onsignedout: vi.fn() });
    await screen.findAllByTestId('operator-row');
    expect(screen.queryByTestId('operator-add-name')).not.toBeInTheDocument();
    expect(screen.getByText('只有管理员可以添加登记员。')).toBeInTheDocument();
  });

  it('reports signed_out', async () => {
    vi.mocked(api.operators).mockRejectedValue(commandError({ code: 'signed_out', message: '请先登录' }));
    const onsignedout = vi.fn();
    render(OperatorAdmin, { operator: admin, onsignedout });
    await waitFor(() => expect(onsignedout).toHaveBeenCalledTimes(1));
  });

  it('lets the administrator set the idle sign-out, with the reason under the field when refused', async () => {
    const user = userEvent.setup();
    const onidlechange = vi.fn();
    vi.mocked(api.setIdleMinutes)
      .mockRejectedValueOnce(
        commandError({
          code: 'invalid',
          message: '无操作自动退出：应为1至120分钟',
          fields: [{ field: 'idle_minutes', message: '无操作自动退出：应为1至120分钟' }],
        }),
      )
      .mockResolvedValueOnce({ idle_minutes: 5, retention_days: 28 });
    render(OperatorAdmin, { operator: admin, onsignedout: vi.fn(), onidlechange });
    const box = await screen.findByTestId('idle-minutes');
    await waitFor(() => expect(box).toHaveValue('10'));
    await user.clear(box);
    await user.type(box, '十分钟{Enter}');
    expect(await screen.findByTestId('error-idle_minutes')).toHaveTextContent('应为1至120分钟');
    expect(api.setIdleMinutes).not.toHaveBeenCalled();
    await user.clear(box);
    await user.type(box, '0{Enter}');
    expect(await screen.findByTestId('error-idle_minutes')).toHaveTextContent('应为1至120分钟');
    expect(onidlechange).not.toHaveBeenCalled();
    await user.clear(box);
    await user.type(box, '5{Enter}');
    expect(await screen.findByTestId('idle-minutes-saved')).toHaveTextContent('已保存：5 分钟无操作自动退出');
    expect(api.setIdleMinutes).toHaveBeenLastCalledWith(5);
    expect(onidlechange).toHaveBeenCalledWith(5);
    expect(screen.getByTestId('retention-days')).toHaveValue('28');
  });

  it('shows an operator no idle setting, but lets them change their own PIN', async () => {
    const user = userEvent.setup();
    vi.mocked(api.changePin)
      .mockRejectedValueOnce(
        commandError({ code: 'invalid', message: '当前PIN：不对', fields: [{ field: 'current', message: '当前PIN：不对' }] }),
      )
      .mockResolvedValueOnce(clerk);
    render(OperatorAdmin, { operator: clerk, onsignedout: vi.fn() });
    await screen.findAllByTestId('operator-row');
    expect(screen.queryByTestId('idle-minutes')).not.toBeInTheDocument();

    await user.type(screen.getByTestId('pin-change-current'), '111111');
    await user.type(screen.getByTestId('pin-change-pin'), '864209');
    await user.type(screen.getByTestId('pin-change-pin2'), '864208{Enter}');
    expect(await screen.findByTestId('pin-change-error-pin2')).toHaveTextContent('两次输入的PIN不一致');
    expect(api.changePin).not.toHaveBeenCalled();

    await user.type(screen.getByTestId('pin-change-pin2'), '864209{Enter}');
    expect(await screen.findByTestId('pin-change-error-current')).toHaveTextContent('当前PIN：不对');
    expect(screen.getByTestId('pin-change-current')).toHaveValue('');
    expect(screen.getByTestId('pin-change-current')).toHaveFocus();

    await user.type(screen.getByTestId('pin-change-current'), '135792{Enter}');
    expect(await screen.findByTestId('pin-change-done')).toHaveTextContent('PIN已修改');
    expect(api.changePin).toHaveBeenLastCalledWith('135792', '864209');
    expect(screen.getByTestId('pin-change-pin')).toHaveValue('');
  });
});
