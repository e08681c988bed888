import { render, screen, waitFor } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import { beforeEach, describe, expect, it, vi } from 'vitest';

vi.mock('../lib/api');

import * as api from '../lib/api';
import { commandError, operator } from '../test/fixtures';
import SignIn from './SignIn.svelte';

const zhang = operator({ id: 'op-1', name: '张敏' });
const li = operator({ id: 'op-2', name: '李娜', is_admin: false });

beforeEach(() => {
  vi.resetAllMocks();
});

describe('SignIn: a new desk', () => {
  beforeEach(() => {
    vi.mocked(api.operators).mockResolvedValue([]);
  });

  it('asks for the first operator, the administrator', async () => {
    render(SignIn, { onsignedin: vi.fn() });
    expect(await screen.findByRole('heading', { name: '创建第一个登记员（管理员）' })).toBeInTheDocument();
    expect(screen.getByLabelText('姓名')).toBe(screen.getByTestId('first-operator-name'));
    expect(screen.getByLabelText('PIN（6至12位数字）')).toHaveAttribute('type', 'password');
    expect(screen.getByLabelText('PIN（6至12位数字）')).toHaveAttribute('inputmode', 'numeric');
    expect(screen.getByLabelText('确认PIN')).toBe(screen.getByTestId('first-operator-pin2'));
    // A new desk can be switched to English before an administrator exists to open 设置.
    expect(screen.getByTestId('language-choice')).toBeInTheDocument();
    expect(screen.queryByTestId('signin-operator')).not.toBeInTheDocument();
  });

  it('creates the operator and reports it signed in', async () => {
    const user = userEvent.setup();
    vi.mocked(api.addOperator).mockResolvedValue(zhang);
    const onsignedin = vi.fn();
    render(SignIn, { onsignedin });

    await user.type(await screen.findByTestId('first-operator-name'), '张敏');
    await user.type(screen.getByTestId('first-operator-pin'), '246813');
    await user.type(screen.getByTestId('first-operator-pin2'), '246813');
    await user.click(screen.getByTestId('first-operator-submit'));

    expect(api.addOperator).toHaveBeenCalledWith('张敏', '246813');
    await waitFor(() => expect(onsignedin).toHaveBeenCalledWith(zhang));
  });

  it('checks that both PINs match before sending anything', async () => {
    const user = userEvent.setup();
    render(SignIn, { onsignedin: vi.fn() });

    await user.type(await screen.findByTestId('first-operator-name'), '张敏');
    await user.type(screen.getByTestId('first-operator-pin'), '246813');
    await user.type(screen.getByTestId('first-operator-pin2'), '2469{Enter}');

    expect(await screen.findByTestId('error-pin2')).toHaveTextContent('确认PIN：两次输入的PIN不一致');
    expect(screen.getByTestId('first-operator-pin2')).toHaveFocus();
    expect(screen.getByTestId('first-operator-pin2')).toHaveValue('');
    expect(api.addOperator).not.toHaveBeenCalled();
  });

  it('shows the backend’s reasons under the name and the PIN', async () => {
    const user = userEvent.setup();
    vi.mocked(api.addOperator).mockRejectedValue(
      commandError({
        code: 'invalid',
        message: 'PIN：应为4至8位数字',
        fields: [{ field: 'pin', message: 'PIN：应为4至8位数字' }],
      }),
    );
    render(SignIn, { onsignedin: vi.fn() });
    await user.type(await screen.findByTestId('first-operator-name'), '张敏');
    await user.type(screen.getByTestId('first-operator-pin'), '12');
    await user.type(screen.getByTestId('first-operator-pin2'), '12{Enter}');

    expect(await screen.findByTestId('error-pin')).toHaveTextContent('PIN：应为4至8位数字');
    expect(screen.getByTestId('first-operator-pin')).toHaveFocus();
  });
});

describe('SignIn: operators exist', () => {
  beforeEach(() => {
    vi.mocked(api.operators).mockResolvedValue([zhang, li]);
  });

  it('lists the operators to choose from and signs in with Enter', async () => {
    const user = userEvent.setup();
    vi.mocked(api.signIn).mockResolvedValue(li);
    const onsignedin = vi.fn();
    render(SignIn, { onsignedin });

    const select = await screen.findByTestId('signin-operator');
    expect(screen.getAllByRole('option').map((o) => o.textContent)).toEqual(['请选择', '张敏', '李娜']);
    expect(screen.getByTestId('signin-pin')).toHaveAttribute('type', 'password');
    await user.selectOptions(select, '李娜');
    await user.type(screen.getByTestId('signin-pin'), '135792{Enter}');

    expect(api.signIn).toHaveBeenCalledWith('李娜', '135792');
    await waitFor(() => expect(onsignedin).toHaveBeenCalledWith(li));
  });

  it('chooses the only operator and starts at the PIN', async () => {
    vi.mocked(api.operators).mockResolvedValue([zhang]);
    render(SignIn, { onsignedin: vi.fn() });
    await waitFor(() => expect(screen.getByTestId('signin-pin')).toHaveFocus());
    expect(screen.getByTestId('signin-operator')).toHaveValue('张敏');
  });

  it('says a wrong PIN under the PIN, clears it and lets the operator retype', async () => {
    const user = userEvent.setup();
    vi.mocked(api.signIn).mockRejectedValue(
      commandError({ code: 'invalid', message: '姓名或PIN不对', fields: [{ field: 'pin', message: '姓名或PIN不对' }] }),
    );
    const onsignedin = vi.fn();
    render(SignIn, { onsignedin });
    await user.selectOptions(await screen.findByTestId('signin-operator'), '张敏');
    await user.type(screen.getByTestId('signin-pin'), '0000');
    await user.click(screen.getByTestId('signin-submit'));

    expect(await screen.findByTestId('error-pin')).toHaveTextContent('姓名或PIN不对');
    expect(screen.getByTestId('signin-pin')).toHaveValue('');
    expect(screen.getByTestId('signin-pin')).toHaveFocus();
    expect(onsignedin).not.toHaveBeenCalled();
  });

  it('shows a failure to list the operators with a way to retry', async () => {
    const user = userEvent.setup();
    vi.mocked(api.operators).mockRejectedValueOnce(commandError({ code: 'storage', message: '数据库错误，请重试' }));
    render(SignIn, { onsignedin: vi.fn() });
    expect(await screen.findByTestId('signin-error')).toHaveTextContent('数据库错误，请重试');
    await user.click(screen.getByRole('button', { name: '重新加载' }));
    expect(await screen.findByTestId('signin-operator')).toBeInTheDocument();
  });
});
