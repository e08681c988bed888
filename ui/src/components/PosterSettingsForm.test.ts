import { render, screen, waitFor } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import { beforeEach, describe, expect, it, vi } from 'vitest';

vi.mock('../lib/api');

import * as api from '../lib/api';
import { commandError } from '../test/fixtures';
import PosterSettingsForm from './PosterSettingsForm.svelte';

const setPosterSettings = vi.mocked(api.setPosterSettings);

beforeEach(() => {
  vi.resetAllMocks();
  vi.mocked(api.posterSettings).mockResolvedValue({
    public_base_url: 'https://placecode.kaifeng.gov.cn',
    supervision_phone: '12345',
  });
});

describe('PosterSettingsForm', () => {
  it('shows the current values and saves them trimmed', async () => {
    const user = userEvent.setup();
    setPosterSettings.mockResolvedValue({ public_base_url: 'https://qr.kf.gov.cn', supervision_phone: '0371-12345' });
    render(PosterSettingsForm, { admin: true, onsignedout: vi.fn() });

    const url = await screen.findByTestId('poster-base-url');
    const phone = screen.getByTestId('poster-phone');
    expect(url).toHaveValue('https://placecode.kaifeng.gov.cn');
    expect(phone).toHaveValue('12345');
    expect(screen.getByLabelText('公共网址')).toBe(url);
    expect(screen.getByLabelText('监督电话')).toBe(phone);

    await user.clear(url);
    await user.type(url, '  https://qr.kf.gov.cn/ ');
    await user.clear(phone);
    await user.type(phone, ' 0371-12345  ');
    await user.click(screen.getByTestId('poster-settings-save'));

    expect(setPosterSettings).toHaveBeenCalledWith({
      public_base_url: 'https://qr.kf.gov.cn/',
      supervision_phone: '0371-12345',
    });
    expect(await screen.findByTestId('poster-settings-notice')).toHaveTextContent('已保存海报设置');
    // As the backend stored them.
    expect(url).toHaveValue('https://qr.kf.gov.cn');
  });

  it('shows each field’s reason under it', async () => {
    const user = userEvent.setup();
    setPosterSettings.mockRejectedValue(
      commandError({
        code: 'invalid',
        message: '公共网址：应为https://开头的网址',
        fields: [
          { field: 'public_base_url', message: '公共网址：应为https://开头的网址，如https://placecode.kaifeng.gov.cn' },
          { field: 'supervision_phone', message: '监督电话：应为3至20位数字' },
        ],
      }),
    );
    render(PosterSettingsForm, { admin: true, onsignedout: vi.fn() });
    const url = await screen.findByTestId('poster-base-url');
    await user.clear(url);
    await user.type(url, 'http://x{Enter}');

    expect(await screen.findByTestId('error-public_base_url')).toHaveTextContent('公共网址：应为https://开头的网址');
    expect(screen.getByTestId('error-supervision_phone')).toHaveTextContent('监督电话：应为3至20位数字');
    expect(url).toHaveFocus();
    expect(screen.queryByTestId('poster-settings-notice')).not.toBeInTheDocument();
  });

  it('shows that only the administrator may change them', async () => {
    const user = userEvent.setup();
    setPosterSettings.mockRejectedValue(commandError({ code: 'forbidden', message: '只有管理员可以执行此操作' }));
    render(PosterSettingsForm, { admin: true, onsignedout: vi.fn() });
    await user.click(await screen.findByTestId('poster-settings-save'));

    expect(await screen.findByTestId('poster-settings-error')).toHaveTextContent('只有管理员可以执行此操作');
    expect(screen.getByTestId('poster-base-url')).toHaveValue('https://placecode.kaifeng.gov.cn');
  });

  it('hands signed_out on', async () => {
    const user = userEvent.setup();
    const onsignedout = vi.fn();
    setPosterSettings.mockRejectedValue(commandError({ code: 'signed_out', message: '请先登录' }));
    render(PosterSettingsForm, { admin: true, onsignedout });
    await user.click(await screen.findByTestId('poster-settings-save'));
    await waitFor(() => expect(onsignedout).toHaveBeenCalledTimes(1));
    expect(screen.queryByTestId('poster-settings-error')).not.toBeInTheDocument();
  });

  it('shows an operator who is not the administrator the settings, unchangeable', async () => {
    render(PosterSettingsForm, { admin: false, onsignedout: vi.fn() });
    expect(await screen.findByTestId('poster-settings-admin-only')).toHaveTextContent('只有本台管理员可以更改');
    expect(await screen.findByTestId('poster-base-url')).toBeDisabled();
    expect(screen.queryByTestId('poster-settings-save')).not.toBeInTheDocument();
  });
});
