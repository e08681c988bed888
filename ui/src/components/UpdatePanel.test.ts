import { render, screen } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import { beforeEach, describe, expect, it, vi } from 'vitest';

vi.mock('../lib/api');

import * as api from '../lib/api';
import type { Release, UpdateStatus } from '../lib/types';
import { commandError } from '../test/fixtures';
import UpdatePanel from './UpdatePanel.svelte';

const release: Release = {
  version: '0.2.0',
  format: 'deb',
  arch: 'amd64',
  notes: '修复：打印\n<b>新增</b>：软件更新',
  published_at: '2026-11-30T02:00:00Z',
  size: 61_865_984,
  sha256: 'ab'.repeat(32),
  signature: 'sig',
  key_id: 'D85A50167ECABD62',
};

function status(over: Partial<UpdateStatus> = {}): UpdateStatus {
  return {
    current: '0.1.0',
    unavailable: null,
    checked_at: null,
    offered: null,
    error: null,
    installing: false,
    updated_from: null,
    ...over,
  };
}

let emit: (s: UpdateStatus) => void = () => {};

beforeEach(() => {
  vi.resetAllMocks();
  vi.mocked(api.onUpdateStatus).mockImplementation(async (cb) => {
    emit = cb;
    return () => {};
  });
});

describe('UpdatePanel', () => {
  it('says which version this one replaced, and nothing on a desk never updated', async () => {
    vi.mocked(api.updateStatus).mockResolvedValue(status({ current: '0.2.0', updated_from: '0.1.0' }));
    const first = render(UpdatePanel, { admin: false, onsignedout: vi.fn() });
    expect(await screen.findByTestId('update-updated')).toHaveTextContent('已从 0.1.0 更新到 0.2.0。');
    first.unmount();
    vi.mocked(api.updateStatus).mockResolvedValue(status({ current: '0.2.0' }));
    render(UpdatePanel, { admin: false, onsignedout: vi.fn() });
    expect(await screen.findByTestId('update-current')).toHaveTextContent('本机版本：0.2.0');
    expect(screen.queryByTestId('update-updated')).toBeNull();
  });

  it('says why a desk without a release key cannot update, and offers no button', async () => {
    vi.mocked(api.updateStatus).mockResolvedValue(status({ unavailable: 'no_release_key' }));
    render(UpdatePanel, { admin: true, onsignedout: vi.fn() });
    expect(await screen.findByTestId('update-unavailable')).toHaveTextContent('未附带发布公钥');
    expect(screen.getByTestId('update-current')).toHaveTextContent('本机版本：0.1.0');
    expect(screen.queryByTestId('update-check')).not.toBeInTheDocument();
    expect(screen.queryByTestId('update-install')).not.toBeInTheDocument();
  });

  it('shows the offered version and its notes as text; the administrator installs once', async () => {
    const user = userEvent.setup();
    vi.mocked(api.updateStatus).mockResolvedValue(status({ checked_at: '2026-11-30T03:00:00Z', offered: release }));
    let finish: (v: void) => void = () => {};
    vi.mocked(api.updateInstall).mockReturnValue(new Promise((r) => (finish = r)));
    render(UpdatePanel, { admin: true, onsignedout: vi.fn() });
    const offered = await screen.findByTestId('update-offered');
    expect(offered).toHaveTextContent('有新版本 0.2.0（发布于 2026-11-30 10:00');
    expect(offered).toHaveTextContent('59.0 MB');
    expect(screen.getByTestId('update-notes').textContent).toBe('修复：打印\n<b>新增</b>：软件更新');
    expect(screen.getByTestId('update-notes').querySelector('b')).toBeNull();
    const button = screen.getByTestId('update-install');
    await user.click(button);
    await user.click(button);
    expect(api.updateInstall).toHaveBeenCalledTimes(1);
    expect(button).toBeDisabled();
    expect(button).toHaveTextContent('正在下载、核对并安装');
    finish();
  });

  it('a refused package is said plainly and the offer stays', async () => {
    const user = userEvent.setup();
    vi.mocked(api.updateStatus).mockResolvedValue(status({ offered: release }));
    vi.mocked(api.updateInstall).mockRejectedValue(commandError({ code: 'refused', message: '更新包的签名验证失败：文件被改动过' }));
    render(UpdatePanel, { admin: true, onsignedout: vi.fn() });
    await user.click(await screen.findByTestId('update-install'));
    expect(await screen.findByTestId('update-error')).toHaveTextContent('签名验证失败');
    expect(screen.getByTestId('update-install')).toBeEnabled();
  });

  it('a clerk sees the offer but neither checks nor installs; a daily check arriving updates it', async () => {
    vi.mocked(api.updateStatus).mockResolvedValue(status({ checked_at: '2026-11-30T03:00:00Z' }));
    render(UpdatePanel, { admin: false, onsignedout: vi.fn() });
    expect(await screen.findByTestId('update-latest')).toHaveTextContent('已是最新版本');
    expect(screen.queryByTestId('update-check')).not.toBeInTheDocument();
    emit(status({ offered: release }));
    expect(await screen.findByTestId('update-offered')).toHaveTextContent('请本台管理员登录后安装');
    expect(screen.queryByTestId('update-install')).not.toBeInTheDocument();
  });
});
