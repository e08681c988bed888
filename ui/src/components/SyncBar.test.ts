import { render, screen, waitFor } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import { beforeEach, describe, expect, it, vi } from 'vitest';

vi.mock('../lib/api');

import * as api from '../lib/api';
import { commandError, deferred, notEnrolled, syncStatus } from '../test/fixtures';
import { mockSyncEvents, type SyncEvents } from '../test/syncEvents';
import SyncBar from './SyncBar.svelte';

const HOUR = 3_600_000;
let events: SyncEvents;

beforeEach(() => {
  vi.resetAllMocks();
  events = mockSyncEvents();
  vi.mocked(api.syncStatus).mockResolvedValue(syncStatus());
});

async function bar(): Promise<HTMLElement> {
  render(SyncBar);
  const strip = screen.getByTestId('sync-bar');
  await waitFor(() => expect(screen.getByTestId('sync-state')).toBeInTheDocument());
  return strip;
}

describe('SyncBar', () => {
  it('says when the desk is not connected to the central server, and cannot sync', async () => {
    vi.mocked(api.syncStatus).mockResolvedValue(notEnrolled());
    const strip = await bar();
    expect(screen.getByTestId('sync-state')).toHaveTextContent('未接入中心');
    expect(strip).toHaveTextContent('请在“设置”（Alt+7）中接入中心服务器');
    expect(strip).toHaveAttribute('data-tone', 'off');
    expect(screen.getByTestId('sync-now')).toBeDisabled();
    expect(screen.queryByTestId('sync-last-ok')).not.toBeInTheDocument();
  });

  it('never shows waiting records as fine, even on a desk not connected yet', async () => {
    vi.mocked(api.syncStatus).mockResolvedValue(notEnrolled({ pending: 4, oldest_pending_at: null }));
    const strip = await bar();
    expect(screen.getByTestId('sync-pending')).toHaveTextContent('未同步 4 条');
    expect(strip).toHaveAttribute('data-tone', 'warn');
  });

  it('shows online, the last successful sync and that nothing waits, in green', async () => {
    const strip = await bar();
    expect(screen.getByTestId('sync-state')).toHaveTextContent('在线');
    // 2026-11-27T06:03:22Z is 14:03 in Shanghai.
    expect(screen.getByTestId('sync-last-ok')).toHaveTextContent(/^上次同步 (11-27 )?14:03$/);
    expect(screen.getByTestId('sync-pending')).toHaveTextContent('无待同步记录');
    expect(strip).toHaveAttribute('data-tone', 'ok');
    expect(screen.getByTestId('sync-now')).toBeEnabled();
    expect(screen.queryByRole('progressbar')).not.toBeInTheDocument();
    expect(screen.queryByTestId('sync-error')).not.toBeInTheDocument();
    expect(screen.queryByTestId('sync-clock')).not.toBeInTheDocument();
  });

  it('shows offline with the error as the backend words it, in red', async () => {
    vi.mocked(api.syncStatus).mockResolvedValue(
      syncStatus({ online: false, error: { code: 'desk_revoked', message: '本台的接入凭证已被中心吊销，请重新接入' } }),
    );
    const strip = await bar();
    expect(screen.getByTestId('sync-state')).toHaveTextContent('离线');
    expect(screen.getByTestId('sync-error')).toHaveTextContent('本台的接入凭证已被中心吊销，请重新接入');
    expect(strip).toHaveAttribute('data-tone', 'error');
  });

  it('shows offline without an error in amber', async () => {
    vi.mocked(api.syncStatus).mockResolvedValue(syncStatus({ online: false }));
    const strip = await bar();
    expect(screen.getByTestId('sync-state')).toHaveTextContent('离线');
    expect(strip).toHaveAttribute('data-tone', 'warn');
  });

  it('shows how many records wait and how long the oldest has, in amber', async () => {
    vi.mocked(api.syncStatus).mockResolvedValue(
      syncStatus({ pending: 12, oldest_pending_at: new Date(Date.now() - 3 * HOUR - 5 * 60_000).toISOString() }),
    );
    const strip = await bar();
    expect(screen.getByTestId('sync-pending')).toHaveTextContent('未同步 12 条，最早一条已等待3小时');
    expect(strip).toHaveAttribute('data-tone', 'warn');
  });

  it('shows the records the server refused in red', async () => {
    vi.mocked(api.syncStatus).mockResolvedValue(syncStatus({ rejected: 2 }));
    const strip = await bar();
    expect(screen.getByTestId('sync-rejected')).toHaveTextContent('被中心退回 2 条');
    expect(strip).toHaveAttribute('data-tone', 'error');
  });

  it('opens the refused records from the refused count', async () => {
    vi.mocked(api.syncStatus).mockResolvedValue(syncStatus({ rejected: 2 }));
    const onrejected = vi.fn();
    render(SyncBar, { onrejected });
    const chip = await screen.findByRole('button', { name: /被中心退回 2 条：打开退回记录/ });
    await userEvent.setup().click(chip);
    expect(onrejected).toHaveBeenCalledTimes(1);
  });

  it('tells of people found later to be at risk, and opens 异常处置 from the count', async () => {
    vi.mocked(api.syncStatus).mockResolvedValue(syncStatus({ late_waiting: 1 }));
    const onlate = vi.fn();
    render(SyncBar, { onlate });
    const chip = await screen.findByRole('button', { name: /事后发现风险人员 1 人待上报：打开异常处置/ });
    expect(chip).toHaveTextContent('事后发现风险人员 1 人待上报');
    await userEvent.setup().click(chip);
    expect(onlate).toHaveBeenCalledTimes(1);
  });

  it('shows a progress bar while a backlog drains', async () => {
    vi.mocked(api.syncStatus).mockResolvedValue(
      syncStatus({ syncing: true, pending: 80, progress: { done: 40, total: 120 } }),
    );
    await bar();
    const progress = screen.getByRole('progressbar', { name: '积压记录发送进度' });
    expect(progress).toHaveAttribute('aria-valuenow', '40');
    expect(progress).toHaveAttribute('aria-valuemax', '120');
    expect(progress).toHaveAttribute('aria-valuemin', '0');
    // Sent means answered by the centre: with what waits, it makes the whole.
    expect(screen.getByTestId('sync-bar')).toHaveTextContent('已发送 40/120');
    expect(screen.getByTestId('sync-bar')).toHaveTextContent('未同步 80 条');
  });

  it('says a first sync is under way, not that none succeeded', async () => {
    vi.mocked(api.syncStatus).mockResolvedValue(
      syncStatus({ enrolled: true, syncing: true, last_ok_at: null, pending: 5, progress: { done: 0, total: 5 } }),
    );
    const strip = await bar();
    expect(strip).toHaveTextContent('正在首次同步');
    expect(strip).not.toHaveTextContent('尚未同步成功');
  });

  it('warns when the clock is off by more than a minute', async () => {
    vi.mocked(api.syncStatus).mockResolvedValue(syncStatus({ clock_offset_ms: -185_000 }));
    const strip = await bar();
    expect(screen.getByTestId('sync-clock')).toHaveTextContent('本机时钟与服务器相差3分钟，请校准');
    expect(strip).toHaveAttribute('data-tone', 'warn');
  });

  it('does not warn about a clock within a minute', async () => {
    vi.mocked(api.syncStatus).mockResolvedValue(syncStatus({ clock_offset_ms: 45_000 }));
    await bar();
    expect(screen.queryByTestId('sync-clock')).not.toBeInTheDocument();
  });

  it('立即同步 starts a sync and is disabled while the call and the sync run', async () => {
    const user = userEvent.setup();
    const call = deferred<ReturnType<typeof syncStatus>>();
    vi.mocked(api.syncNow).mockReturnValue(call.promise);
    await bar();
    const button = screen.getByTestId('sync-now');
    expect(button).toHaveTextContent('立即同步');

    await user.click(button);
    expect(api.syncNow).toHaveBeenCalledTimes(1);
    expect(button).toBeDisabled();
    await user.click(button);
    expect(api.syncNow).toHaveBeenCalledTimes(1);

    call.resolve(syncStatus({ syncing: true }));
    await waitFor(() => expect(button).toHaveTextContent('正在同步…'));
    expect(button).toBeDisabled();

    events.emit(syncStatus({ syncing: false, last_ok_at: '2026-11-27T07:30:00Z' }));
    await waitFor(() => expect(button).toBeEnabled());
    expect(button).toHaveTextContent('立即同步');
    expect(screen.getByTestId('sync-last-ok')).toHaveTextContent('15:30');
  });

  it('shows why 立即同步 failed', async () => {
    const user = userEvent.setup();
    vi.mocked(api.syncNow).mockRejectedValue(commandError({ code: 'internal', message: '操作失败，请重试' }));
    await bar();
    await user.click(screen.getByTestId('sync-now'));
    expect(await screen.findByTestId('sync-problem')).toHaveTextContent('操作失败，请重试');
    expect(screen.getByTestId('sync-bar')).toHaveAttribute('data-tone', 'error');
    expect(screen.getByTestId('sync-now')).toBeEnabled();
  });

  it('shows when the status cannot be read', async () => {
    vi.mocked(api.syncStatus).mockRejectedValue(commandError({ code: 'storage', message: '数据库错误，请重试' }));
    render(SyncBar);
    expect(await screen.findByTestId('sync-problem')).toHaveTextContent('无法读取同步状态：数据库错误，请重试');
    expect(screen.getByTestId('sync-now')).toBeDisabled();
  });

  it('follows the sync-status events: the progress, then the result', async () => {
    await bar();
    expect(events.listening()).toBe(1);

    events.emit(syncStatus({ syncing: true, pending: 300, progress: { done: 100, total: 300 } }));
    await waitFor(() => expect(screen.getByRole('progressbar')).toHaveAttribute('aria-valuenow', '100'));
    expect(screen.getByTestId('sync-bar')).toHaveAttribute('data-tone', 'warn');

    events.emit(syncStatus({ syncing: true, pending: 100, progress: { done: 200, total: 300 } }));
    await waitFor(() => expect(screen.getByRole('progressbar')).toHaveAttribute('aria-valuenow', '200'));

    events.emit(syncStatus({ online: false, pending: 100, error: { code: 'unreachable', message: '无法连接中心服务器' } }));
    await waitFor(() => expect(screen.getByTestId('sync-state')).toHaveTextContent('离线'));
    expect(screen.queryByRole('progressbar')).not.toBeInTheDocument();
    expect(screen.getByTestId('sync-error')).toHaveTextContent('无法连接中心服务器');
  });

  it('keeps an event that arrives before the first status is read', async () => {
    const load = deferred<ReturnType<typeof syncStatus>>();
    vi.mocked(api.syncStatus).mockReturnValue(load.promise);
    render(SyncBar);
    await waitFor(() => expect(events.listening()).toBe(1));

    events.emit(syncStatus({ pending: 7 }));
    await waitFor(() => expect(screen.getByTestId('sync-pending')).toHaveTextContent('未同步 7 条'));
    load.resolve(syncStatus({ pending: 0 }));
    await load.promise;
    await new Promise((r) => setTimeout(r, 0));
    expect(screen.getByTestId('sync-pending')).toHaveTextContent('未同步 7 条');
  });

  it('stops listening when it goes away', async () => {
    const { unmount } = render(SyncBar);
    await waitFor(() => expect(events.listening()).toBe(1));
    unmount();
    expect(events.unlisten).toHaveBeenCalledTimes(1);
    expect(events.listening()).toBe(0);
  });

  it('stops listening even when it goes away before the listener is in place', async () => {
    const listening = deferred<() => void>();
    const unlisten = vi.fn();
    vi.mocked(api.onSyncStatus).mockReturnValue(listening.promise);
    const { unmount } = render(SyncBar);
    unmount();
    listening.resolve(unlisten);
    await waitFor(() => expect(unlisten).toHaveBeenCalledTimes(1));
  });
});
