import { render, screen, waitFor, within } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import { beforeEach, describe, expect, it, vi } from 'vitest';

vi.mock('./lib/api');

import App from './App.svelte';
import * as api from './lib/api';
import { catalog, commandError, venue } from './test/fixtures';

const served = venue({ id: 'v-served', name: '开封宾馆', served: true });
const other = venue({ id: 'v-other', name: '鼓楼区便民超市' });

beforeEach(() => {
  vi.resetAllMocks();
  vi.mocked(api.catalog).mockResolvedValue(catalog);
  vi.mocked(api.servedVenue).mockResolvedValue(served);
  vi.mocked(api.listVenues).mockResolvedValue([served, other]);
});

describe('App', () => {
  it('shows the title, the served venue and the registration form first', async () => {
    render(App);
    expect(screen.getByRole('heading', { level: 1 })).toHaveTextContent('开封市场所码 · 登记台');
    await waitFor(() => expect(screen.getByTestId('served-venue')).toHaveTextContent('本台服务场所：开封宾馆'));
    expect(screen.getByTestId('nav-register')).toHaveAttribute('aria-selected', 'true');
    expect(await screen.findByLabelText('场所名称')).toBeInTheDocument();
    // Ready to type at once.
    expect(screen.getByLabelText('码的类型')).toHaveFocus();
  });

  it('says when no venue is served yet', async () => {
    vi.mocked(api.servedVenue).mockResolvedValue(null);
    render(App);
    await screen.findByLabelText('场所名称');
    expect(screen.getByTestId('served-venue')).toHaveTextContent('尚未设置本台服务场所');
  });

  it('switches tabs with Alt+1/2/3 and focuses the new panel', async () => {
    const user = userEvent.setup();
    render(App);
    await screen.findByLabelText('场所名称');

    await user.keyboard('{Alt>}2{/Alt}');
    expect(screen.getByTestId('nav-venues')).toHaveAttribute('aria-selected', 'true');
    expect(await screen.findAllByTestId('venue-row')).toHaveLength(2);
    expect(screen.getByTestId('venue-search')).toHaveFocus();
    expect(screen.queryByLabelText('场所名称')).not.toBeInTheDocument();

    await user.keyboard('{Alt>}3{/Alt}');
    expect(screen.getByTestId('nav-import')).toHaveAttribute('aria-selected', 'true');
    expect(screen.getByLabelText('选择CSV文件')).toHaveFocus();

    await user.keyboard('{Alt>}1{/Alt}');
    expect(screen.getByTestId('nav-register')).toHaveAttribute('aria-selected', 'true');
    expect(screen.getByLabelText('码的类型')).toHaveFocus();
  });

  it('switches tabs by clicking and with the arrow keys', async () => {
    const user = userEvent.setup();
    render(App);
    await screen.findByLabelText('场所名称');

    await user.click(screen.getByRole('tab', { name: /场所列表/ }));
    expect(await screen.findAllByTestId('venue-row')).toHaveLength(2);

    await user.keyboard('{ArrowDown}');
    expect(screen.getByTestId('nav-import')).toHaveFocus();
    expect(screen.getByLabelText('选择CSV文件')).toBeInTheDocument();
  });

  it('keeps what was typed in the form while another tab is open', async () => {
    const user = userEvent.setup();
    render(App);
    await user.type(await screen.findByLabelText('场所名称'), '鼓楼区某某饭店');

    await user.keyboard('{Alt>}2{/Alt}');
    await user.keyboard('{Alt>}1{/Alt}');

    expect(screen.getByLabelText('场所名称')).toHaveValue('鼓楼区某某饭店');
  });

  it('updates the header when another venue is set as served', async () => {
    const user = userEvent.setup();
    vi.mocked(api.setServedVenue).mockResolvedValue({ ...other, served: true });
    render(App);
    await screen.findByLabelText('场所名称');
    await user.click(screen.getByTestId('nav-venues'));
    const rows = await screen.findAllByTestId('venue-row');
    const row = rows.find((r) => r.dataset.venueId === 'v-other')!;

    await user.click(within(row).getByTestId('venue-set-served'));

    await waitFor(() =>
      expect(screen.getByTestId('served-venue')).toHaveTextContent('本台服务场所：鼓楼区便民超市'),
    );
  });

  it('shows a failure to load the catalog with a way to retry', async () => {
    const user = userEvent.setup();
    vi.mocked(api.catalog).mockRejectedValueOnce(commandError({ code: 'storage', message: '数据库错误，请重试' }));
    render(App);

    expect(await screen.findByRole('alert')).toHaveTextContent('无法加载基础数据：数据库错误，请重试');
    await user.click(screen.getByRole('button', { name: '重新加载' }));
    expect(await screen.findByLabelText('场所名称')).toBeInTheDocument();
  });
});
