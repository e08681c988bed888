import { render, screen, waitFor, within } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import { beforeEach, describe, expect, it, vi } from 'vitest';

vi.mock('../lib/api');

import * as api from '../lib/api';
import { catalog, commandError, invalid, notEnrolled, rejectedRecord, syncStatus } from '../test/fixtures';
import { mockSyncEvents, type SyncEvents } from '../test/syncEvents';
import SyncSettings from './SyncSettings.svelte';

let events: SyncEvents;

const enrolled = syncStatus({
  server_url: 'https://central.kaifeng.gov.cn',
  desk_id: 'desk-7f3a',
  desk_name: '开封宾馆东门登记台',
  venues: ['开封宾馆', '鼓楼区便民超市'],
  districts: ['gulou', 'longting'],
});

beforeEach(() => {
  vi.resetAllMocks();
  events = mockSyncEvents();
  vi.mocked(api.syncStatus).mockResolvedValue(notEnrolled());
  vi.mocked(api.syncRejected).mockResolvedValue([]);
});

function show(onsignedout = vi.fn()) {
  return render(SyncSettings, { admin: true, catalog, onsignedout });
}

describe('SyncSettings: not enrolled', () => {
  it('offers the form to connect, and nothing about a connection', async () => {
    show();
    expect(screen.getByRole('heading', { name: '中心服务器' })).toBeInTheDocument();
    expect(await screen.findByTestId('sync-connect-url')).toBeInTheDocument();
    expect(screen.getByLabelText('服务器地址')).toBe(screen.getByTestId('sync-connect-url'));
    expect(screen.getByLabelText('接入码')).toBe(screen.getByTestId('sync-connect-token'));
    expect(screen.getByLabelText('CA证书文件（选填）')).toBe(screen.getByTestId('sync-connect-ca'));
    expect(screen.queryByTestId('sync-server-url')).not.toBeInTheDocument();
    expect(screen.queryByTestId('sync-reconnect')).not.toBeInTheDocument();
    expect(screen.queryByTestId('rejected-records')).not.toBeInTheDocument();
  });

  it('connects on Enter, without a CA file, and then shows the enrolment', async () => {
    const user = userEvent.setup();
    vi.mocked(api.syncConnect).mockResolvedValue(enrolled);
    show();
    await user.type(await screen.findByTestId('sync-connect-url'), ' https://central.kaifeng.gov.cn ');
    await user.type(screen.getByTestId('sync-connect-token'), 'K7PX-92QD{Enter}');

    expect(api.syncConnect).toHaveBeenCalledWith('https://central.kaifeng.gov.cn', 'K7PX-92QD', null, false);
    expect(await screen.findByTestId('sync-connect-notice')).toHaveTextContent(
      '已接入中心服务器，本台名称：开封宾馆东门登记台',
    );
    expect(screen.getByTestId('sync-server-url')).toHaveTextContent('https://central.kaifeng.gov.cn');
    expect(screen.getByTestId('sync-desk-name')).toHaveTextContent('开封宾馆东门登记台');
    expect(screen.queryByTestId('sync-connect')).not.toBeInTheDocument();
    expect(await screen.findByTestId('rejected-empty')).toBeInTheDocument();
  });

  it('sends the CA file when given', async () => {
    const user = userEvent.setup();
    vi.mocked(api.syncConnect).mockResolvedValue(enrolled);
    show();
    await user.type(await screen.findByTestId('sync-connect-url'), 'https://10.0.0.5:8443');
    await user.type(screen.getByTestId('sync-connect-token'), 'K7PX-92QD');
    await user.type(screen.getByTestId('sync-connect-ca'), '/etc/placecode/ca.pem');
    await user.click(screen.getByTestId('sync-connect-submit'));
    expect(api.syncConnect).toHaveBeenCalledWith('https://10.0.0.5:8443', 'K7PX-92QD', '/etc/placecode/ca.pem', false);
  });

  it('shows a refused token under its field and puts the cursor there', async () => {
    const user = userEvent.setup();
    vi.mocked(api.syncConnect).mockRejectedValue(invalid('token', '接入码：已使用或已过期，请向管理员索取新的接入码'));
    show();
    await user.type(await screen.findByTestId('sync-connect-url'), 'https://central.kaifeng.gov.cn');
    await user.type(screen.getByTestId('sync-connect-token'), 'OLD-TOKEN{Enter}');

    expect(await screen.findByTestId('error-token')).toHaveTextContent('接入码：已使用或已过期，请向管理员索取新的接入码');
    expect(screen.getByTestId('sync-connect-token')).toHaveFocus();
    expect(screen.getByTestId('sync-connect-token')).toHaveAttribute('aria-invalid', 'true');
    expect(screen.queryByTestId('error-url')).not.toBeInTheDocument();
    expect(screen.queryByTestId('sync-connect-notice')).not.toBeInTheDocument();

    // Editing the field clears its message.
    await user.type(screen.getByTestId('sync-connect-token'), 'X');
    expect(screen.queryByTestId('error-token')).not.toBeInTheDocument();
  });

  it('connects a desk holding a list imported from a file only once the administrator confirms it gives way', async () => {
    const user = userEvent.setup();
    const why = '风险名单：本台从文件导入的3条名单，接入后由中心下发的名单取代；请确认中心的名单已含这些人员后再接入';
    vi.mocked(api.syncConnect).mockRejectedValueOnce(invalid('replace_risk_list', why)).mockResolvedValue(enrolled);
    show();
    expect(screen.queryByTestId('sync-connect-replace-risk')).not.toBeInTheDocument();
    await user.type(await screen.findByTestId('sync-connect-url'), 'https://central.kaifeng.gov.cn');
    await user.type(screen.getByTestId('sync-connect-token'), 'K7PX-92QD{Enter}');

    expect(await screen.findByTestId('error-replace_risk_list')).toHaveTextContent(why);
    const box = screen.getByTestId('sync-connect-replace-risk');
    expect(box).not.toBeChecked();
    expect(box).toHaveFocus();
    expect(api.syncConnect).toHaveBeenLastCalledWith('https://central.kaifeng.gov.cn', 'K7PX-92QD', null, false);
    // Enter alone sends the same refusal again; ticked, it connects.
    await user.click(box);
    await user.click(screen.getByTestId('sync-connect-submit'));
    expect(api.syncConnect).toHaveBeenLastCalledWith('https://central.kaifeng.gov.cn', 'K7PX-92QD', null, true);
    expect(await screen.findByTestId('sync-connect-notice')).toHaveTextContent('已接入中心服务器');
  });

  it('shows an error without a field in the banner', async () => {
    const user = userEvent.setup();
    vi.mocked(api.syncConnect).mockRejectedValue(commandError({ code: 'unreachable', message: '无法连接中心服务器，请检查网络和服务器地址' }));
    show();
    await user.type(await screen.findByTestId('sync-connect-url'), 'https://central.kaifeng.gov.cn');
    await user.type(screen.getByTestId('sync-connect-token'), 'K7PX-92QD{Enter}');
    expect(await screen.findByTestId('sync-connect-error')).toHaveTextContent('无法连接中心服务器，请检查网络和服务器地址');
    expect(screen.getByTestId('sync-connect-token')).toHaveValue('K7PX-92QD');
  });

  it('reports signed_out', async () => {
    const user = userEvent.setup();
    const onsignedout = vi.fn();
    vi.mocked(api.syncConnect).mockRejectedValue(commandError({ code: 'signed_out', message: '请先登录' }));
    show(onsignedout);
    await user.type(await screen.findByTestId('sync-connect-token'), 'K7PX-92QD{Enter}');
    await waitFor(() => expect(onsignedout).toHaveBeenCalledTimes(1));
  });
});

describe('SyncSettings: enrolled', () => {
  beforeEach(() => {
    vi.mocked(api.syncStatus).mockResolvedValue(enrolled);
  });

  it('shows the server, the desk, its venues and districts (by label), and the status', async () => {
    show();
    expect(await screen.findByTestId('sync-server-url')).toHaveTextContent('https://central.kaifeng.gov.cn');
    expect(screen.getByTestId('sync-desk-name')).toHaveTextContent('开封宾馆东门登记台');
    expect(screen.getByTestId('sync-desk-id')).toHaveTextContent('desk-7f3a');
    expect(screen.getByTestId('sync-venues')).toHaveTextContent('开封宾馆、鼓楼区便民超市');
    expect(screen.getByTestId('sync-districts')).toHaveTextContent('鼓楼区、龙亭区');
    expect(screen.getByTestId('sync-detail-state')).toHaveTextContent('在线');
    expect(screen.getByTestId('sync-detail-last-ok')).toHaveTextContent('上次同步 2026-11-27 14:03');
    expect(screen.queryByTestId('sync-connect')).not.toBeInTheDocument();
    expect(await screen.findByTestId('rejected-empty')).toHaveTextContent('没有被中心退回的记录。');
  });

  it('shows a district key it has no label for as it is, and none as —', async () => {
    vi.mocked(api.syncStatus).mockResolvedValue(syncStatus({ venues: [], districts: ['zhengzhou'] }));
    show();
    expect(await screen.findByTestId('sync-districts')).toHaveTextContent('zhengzhou');
    expect(screen.getByTestId('sync-venues')).toHaveTextContent('—');
  });

  it('keeps the status live from the events', async () => {
    show();
    await screen.findByTestId('sync-detail-state');
    events.emit({ ...enrolled, online: false, pending: 3, error: { code: 'unreachable', message: '无法连接中心服务器' } });
    await waitFor(() => expect(screen.getByTestId('sync-detail-state')).toHaveTextContent('离线'));
    expect(screen.getByTestId('sync-detail-error')).toHaveTextContent('无法连接中心服务器');
    expect(screen.getByTestId('sync-detail')).toHaveAttribute('data-tone', 'error');
  });

  it('重新接入 opens the form with the server filled in; Esc closes it', async () => {
    const user = userEvent.setup();
    show();
    const toggle = await screen.findByTestId('sync-reconnect');
    expect(toggle).toHaveAttribute('aria-expanded', 'false');

    await user.click(toggle);
    expect(toggle).toHaveAttribute('aria-expanded', 'true');
    expect(screen.getByTestId('sync-connect-url')).toHaveValue('https://central.kaifeng.gov.cn');
    expect(screen.getByTestId('sync-connect-token')).toHaveFocus();

    await user.keyboard('{Escape}');
    expect(screen.queryByTestId('sync-connect')).not.toBeInTheDocument();
    expect(toggle).toHaveAttribute('aria-expanded', 'false');
    expect(toggle).toHaveFocus();
    expect(api.syncConnect).not.toHaveBeenCalled();
  });

  it('re-connects with a new token', async () => {
    const user = userEvent.setup();
    vi.mocked(api.syncConnect).mockResolvedValue({ ...enrolled, desk_name: '开封宾馆西门登记台' });
    show();
    await user.click(await screen.findByTestId('sync-reconnect'));
    await user.keyboard('NEW-TOKEN{Enter}');

    expect(api.syncConnect).toHaveBeenCalledWith('https://central.kaifeng.gov.cn', 'NEW-TOKEN', null, false);
    expect(await screen.findByTestId('sync-desk-name')).toHaveTextContent('开封宾馆西门登记台');
    expect(screen.queryByTestId('sync-connect')).not.toBeInTheDocument();
  });

  it('lists the refused records', async () => {
    vi.mocked(api.syncStatus).mockResolvedValue({ ...enrolled, rejected: 1 });
    vi.mocked(api.syncRejected).mockResolvedValue([rejectedRecord({ summary: '王** · 开封宾馆 · 09:12' })]);
    show();
    const rows = await screen.findAllByTestId('rejected-row');
    expect(within(rows[0]!).getByTestId('rejected-summary')).toHaveTextContent('王** · 开封宾馆 · 09:12');
    expect(screen.getByTestId('sync-detail-rejected')).toHaveTextContent('被中心退回 1 条');
  });

  it('stops listening when it goes away', async () => {
    const { unmount } = show();
    await screen.findByTestId('rejected-empty');
    // The status and the refused records each listen.
    expect(events.listening()).toBe(2);
    unmount();
    expect(events.listening()).toBe(0);
  });

  it('shows an operator who is not the administrator no connect form', async () => {
    vi.mocked(api.syncStatus).mockResolvedValue(notEnrolled());
    render(SyncSettings, { admin: false, catalog, onsignedout: vi.fn() });
    expect(await screen.findByTestId('sync-admin-only')).toHaveTextContent('只有本台管理员可以更改');
    expect(screen.queryByTestId('sync-connect-url')).not.toBeInTheDocument();
  });
});
