import { render, screen, waitFor, within } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import { beforeEach, describe, expect, it, vi } from 'vitest';

vi.mock('./lib/api');

import App from './App.svelte';
import * as api from './lib/api';
import {
  catalog,
  commandError,
  deferred,
  incident,
  notEnrolled,
  operator,
  result,
  riskStatus,
  syncStatus,
  todaySummary,
  trip,
  tripBoard,
  venue,
  visitRow,
} from './test/fixtures';
import { mockSyncEvents } from './test/syncEvents';
import type { UpdateStatus } from './lib/types';

const served = venue({ id: 'v-served', name: '开封宾馆', served: true });
const other = venue({ id: 'v-other', name: '鼓楼区便民超市' });
const zhang = operator({ id: 'op-1', name: '张敏', is_admin: true });

beforeEach(() => {
  vi.resetAllMocks();
  vi.mocked(api.catalog).mockResolvedValue(catalog);
  vi.mocked(api.servedVenue).mockResolvedValue(served);
  vi.mocked(api.listVenues).mockResolvedValue([served, other]);
  vi.mocked(api.currentOperator).mockResolvedValue(zhang);
  vi.mocked(api.operators).mockResolvedValue([zhang, operator({ id: 'op-2', name: '李娜', is_admin: false })]);
  vi.mocked(api.riskStatus).mockResolvedValue(riskStatus());
  vi.mocked(api.today).mockResolvedValue(todaySummary([visitRow()]));
  vi.mocked(api.incidents).mockResolvedValue([incident()]);
  vi.mocked(api.lateHits).mockResolvedValue([]);
  vi.mocked(api.releaseVisit).mockResolvedValue(incident({ status: 'released', note: '误扫（扫错了人或证件）' }));
  vi.mocked(api.posterSettings).mockResolvedValue({ public_base_url: 'https://placecode.kaifeng.gov.cn', supervision_phone: '12345' });
  vi.mocked(api.syncStatus).mockResolvedValue(notEnrolled());
  vi.mocked(api.syncRejected).mockResolvedValue([]);
  mockSyncEvents();
  vi.mocked(api.onUpdateStatus).mockResolvedValue(() => {});
  vi.mocked(api.updateStatus).mockResolvedValue(updateStatus());
});

function updateStatus(over: Partial<UpdateStatus> = {}): UpdateStatus {
  return { current: '0.1.0', unavailable: null, checked_at: null, offered: null, error: null, installing: false, updated_from: null, ...over };
}

describe('设置 marked by 软件更新', () => {
  it('marks 设置 when a newer version is offered, follows the checks, and drops the mark on sign-out', async () => {
    let emit: (s: UpdateStatus) => void = () => {};
    vi.mocked(api.onUpdateStatus).mockImplementation(async (cb) => {
      emit = cb;
      return () => {};
    });
    render(App);
    await waitFor(() => expect(screen.getByTestId('current-operator')).toHaveTextContent('张敏'));
    expect(screen.queryByTestId('nav-settings-mark')).toBeNull();

    const offered = { version: '0.2.0', format: 'deb', arch: 'amd64', notes: '', published_at: '2026-11-30T02:00:00Z', size: 1, sha256: '', signature: '', key_id: '' } as const;
    emit(updateStatus({ offered }));
    await waitFor(() => expect(screen.getByTestId('nav-settings-mark')).toHaveTextContent('新'));
    expect(screen.getByTestId('nav-settings')).toHaveAccessibleName(expect.stringContaining('有新版本'));
    emit(updateStatus());
    await waitFor(() => expect(screen.queryByTestId('nav-settings-mark')).toBeNull());

    emit(updateStatus({ offered }));
    await screen.findByTestId('nav-settings-mark');
    vi.mocked(api.signOut).mockResolvedValue(undefined);
    vi.mocked(api.operators).mockResolvedValue([zhang]);
    await userEvent.setup().click(screen.getByTestId('sign-out'));
    await waitFor(() => expect(screen.queryByTestId('nav-settings-mark')).toBeNull());
  });
});

describe('App', () => {
  it('opens on the check-in desk, ready for the scanner, with the operator and venue in the header', async () => {
    render(App);
    expect(screen.getByRole('heading', { level: 1 })).toHaveTextContent('开封市场所码 · 登记台');
    await waitFor(() => expect(screen.getByTestId('served-venue')).toHaveTextContent('本台服务场所：开封宾馆'));
    expect(screen.getByTestId('current-operator')).toHaveTextContent('登记员：张敏');
    expect(screen.getByTestId('nav-checkin')).toHaveAttribute('aria-selected', 'true');
    expect(screen.getAllByRole('tab')[0]).toBe(screen.getByTestId('nav-checkin'));
    await waitFor(() => expect(screen.getByTestId('checkin-input')).toHaveFocus());
  });

  it('shows the sync with the central server in the header, live', async () => {
    const events = mockSyncEvents();
    vi.mocked(api.syncStatus).mockResolvedValue(syncStatus({ pending: 2, oldest_pending_at: null }));
    const { container } = render(App);
    const bar = await screen.findByTestId('sync-bar');
    expect(container.querySelector('header')).toContainElement(bar);
    await waitFor(() => expect(screen.getByTestId('sync-pending')).toHaveTextContent('未同步 2 条'));
    expect(bar).toHaveAttribute('data-tone', 'warn');

    events.emit(syncStatus({ pending: 0 }));
    await waitFor(() => expect(screen.getByTestId('sync-pending')).toHaveTextContent('无待同步记录'));
    expect(bar).toHaveAttribute('data-tone', 'ok');
  });

  it('says nothing of the venue until the desk has answered, then names it', async () => {
    const answer = deferred<typeof served | null>();
    vi.mocked(api.servedVenue).mockReturnValue(answer.promise);
    render(App);
    expect(screen.getByTestId('served-venue')).toHaveTextContent(/^$/);
    answer.resolve(served);
    await waitFor(() => expect(screen.getByTestId('served-venue')).toHaveTextContent('本台服务场所：开封宾馆'));
  });

  it('learns from a sync that the centre refused the served venue, and says it at the door', async () => {
    const events = mockSyncEvents();
    render(App);
    await screen.findByTestId('checkin-input');
    expect(screen.queryByTestId('checkin-venue-rejected')).not.toBeInTheDocument();
    events.emit(syncStatus());
    vi.mocked(api.servedVenue).mockResolvedValue({ ...served, rejected: '重复登记：该场所已登记为“开封宾馆”' });
    events.emit(syncStatus({ syncing: true }));
    events.emit(syncStatus({ syncing: false, last_ok_at: '2026-11-27T02:00:00Z' }));
    expect(await screen.findByTestId('checkin-venue-rejected')).toHaveTextContent('重复登记');
    expect(screen.getByTestId('checkin-input')).toBeInTheDocument();
  });

  it('says when no venue is served yet', async () => {
    vi.mocked(api.servedVenue).mockResolvedValue(null);
    render(App);
    await screen.findByTestId('checkin-input');
    expect(screen.getByTestId('served-venue')).toHaveTextContent('尚未设置本台服务场所');
    expect(screen.getByTestId('checkin-no-venue')).toHaveTextContent('场所列表”（Alt+3）');
  });

  it('numbers the tabs Alt+1 to Alt+7: the desk first, the venue tabs next', async () => {
    render(App);
    await screen.findByTestId('checkin-input');
    expect(screen.getAllByRole('tab').map((tab) => tab.dataset.testid)).toEqual([
      'nav-checkin',
      'nav-register',
      'nav-venues',
      'nav-import',
      'nav-today',
      'nav-incidents',
      'nav-settings',
    ]);
    expect(screen.getByTestId('nav-checkin')).toHaveAttribute('aria-keyshortcuts', 'Alt+1');
    expect(screen.getByTestId('nav-register')).toHaveAttribute('aria-keyshortcuts', 'Alt+2');
  });

  it('switches tabs with Alt+digit and focuses the new panel', async () => {
    const user = userEvent.setup();
    render(App);
    await screen.findByTestId('checkin-input');

    await user.keyboard('{Alt>}2{/Alt}');
    expect(screen.getByTestId('nav-register')).toHaveAttribute('aria-selected', 'true');
    expect(screen.getByLabelText('码的类型')).toHaveFocus();

    await user.keyboard('{Alt>}3{/Alt}');
    expect(screen.getByTestId('nav-venues')).toHaveAttribute('aria-selected', 'true');
    expect(await screen.findAllByTestId('venue-row')).toHaveLength(2);
    expect(screen.getByTestId('venue-search')).toHaveFocus();
    expect(screen.queryByLabelText('场所名称')).not.toBeInTheDocument();

    await user.keyboard('{Alt>}4{/Alt}');
    expect(screen.getByTestId('nav-import')).toHaveAttribute('aria-selected', 'true');
    expect(screen.getByLabelText('选择CSV文件')).toHaveFocus();

    await user.keyboard('{Alt>}5{/Alt}');
    expect(await screen.findAllByTestId('today-row')).toHaveLength(1);

    await user.keyboard('{Alt>}6{/Alt}');
    expect(await screen.findAllByTestId('incident-row')).toHaveLength(1);

    await user.keyboard('{Alt>}7{/Alt}');
    expect(await screen.findByTestId('risk-status')).toBeInTheDocument();

    await user.keyboard('{Alt>}1{/Alt}');
    expect(screen.getByTestId('nav-checkin')).toHaveAttribute('aria-selected', 'true');
    expect(screen.getByTestId('checkin-input')).toHaveFocus();
  });

  it('F1 shows the help of the screen shown; Esc or F1 closes it and the desk has the focus again', async () => {
    const user = userEvent.setup();
    render(App);
    await screen.findByTestId('checkin-input');
    await user.keyboard('{F1}');
    expect(screen.getByTestId('help-panel')).toHaveTextContent('帮助：登记台');
    expect(screen.getByTestId('help-body')).toHaveTextContent('按 F4 手工登记');
    await user.keyboard('{Escape}');
    expect(screen.queryByTestId('help-panel')).not.toBeInTheDocument();
    await waitFor(() => expect(screen.getByTestId('checkin-input')).toHaveFocus());
    await user.keyboard('{Alt>}5{/Alt}');
    await user.keyboard('{F1}');
    expect(screen.getByTestId('help-panel')).toHaveTextContent('帮助：今日登记');
    await user.keyboard('{F1}');
    expect(screen.queryByTestId('help-panel')).not.toBeInTheDocument();
  });

  it('Ctrl+= and Ctrl+- zoom the whole desk, Ctrl+0 restores it, and the level is remembered', async () => {
    const user = userEvent.setup();
    localStorage.removeItem('placecode.zoom');
    render(App);
    await screen.findByTestId('checkin-input');
    const zoom = () => document.documentElement.style.getPropertyValue('--zoom');
    await user.keyboard('{Control>}={/Control}');
    await user.keyboard('{Control>}={/Control}');
    expect(zoom()).toBe('1.25');
    expect(localStorage.getItem('placecode.zoom')).toBe('1.25');
    await user.keyboard('{Control>}-{/Control}');
    expect(zoom()).toBe('1.1');
    await user.keyboard('{Control>}0{/Control}');
    expect(zoom()).toBe('1');
  });

  it('switches tabs by clicking and with the arrow keys', async () => {
    const user = userEvent.setup();
    render(App);
    await screen.findByTestId('checkin-input');

    await user.click(screen.getByRole('tab', { name: /场所列表/ }));
    expect(await screen.findAllByTestId('venue-row')).toHaveLength(2);

    await user.keyboard('{ArrowDown}');
    expect(screen.getByTestId('nav-import')).toHaveFocus();
    expect(screen.getByLabelText('选择CSV文件')).toBeInTheDocument();
  });

  it('keeps what was typed in the venue form and in a declaration while another tab is open', async () => {
    const user = userEvent.setup();
    vi.mocked(api.checkInById).mockResolvedValue({ outcome: 'unknown', id_number: '11010519491231002X', document_kind: 'resident_id' });
    render(App);
    await user.type(await screen.findByTestId('checkin-input'), '11010519491231002X{Enter}');
    await user.type(await screen.findByTestId('declare-name'), '李秀英');

    await user.keyboard('{Alt>}2{/Alt}');
    await user.type(screen.getByLabelText('场所名称'), '鼓楼区某某饭店');
    await user.keyboard('{Alt>}3{/Alt}');
    await user.keyboard('{Alt>}2{/Alt}');
    expect(screen.getByLabelText('场所名称')).toHaveValue('鼓楼区某某饭店');

    await user.keyboard('{Alt>}1{/Alt}');
    expect(screen.getByTestId('declare-name')).toHaveValue('李秀英');
    expect(screen.getByTestId('declare-id-number')).toHaveValue('11010519491231002X');
  });

  it('keeps the trip-code flag as set across tabs', async () => {
    const user = userEvent.setup();
    render(App);
    await screen.findByTestId('checkin-input');
    // Not assumed: unticked until the clerk ticks it (F2).
    expect(screen.getByTestId('trip-code-checked')).not.toBeChecked();
    await user.keyboard('{F2}');
    expect(screen.getByTestId('trip-code-checked')).toBeChecked();
    await user.keyboard('{Alt>}5{/Alt}');
    await user.keyboard('{Alt>}1{/Alt}');
    expect(screen.getByTestId('trip-code-checked')).toBeChecked();
  });

  it('updates the header when another venue is set as served', async () => {
    const user = userEvent.setup();
    vi.mocked(api.setServedVenue).mockResolvedValue({ ...other, served: true });
    render(App);
    await screen.findByTestId('checkin-input');
    await user.click(screen.getByTestId('nav-venues'));
    const rows = await screen.findAllByTestId('venue-row');
    const row = rows.find((r) => r.dataset.venueId === 'v-other')!;

    await user.click(within(row).getByTestId('venue-set-served'));

    await waitFor(() =>
      expect(screen.getByTestId('served-venue')).toHaveTextContent('本台服务场所：鼓楼区便民超市'),
    );
  });

  it('colours the header strip with the result on screen', async () => {
    const user = userEvent.setup();
    vi.mocked(api.checkInByLast4).mockResolvedValue({ outcome: 'checked_in', result: result({ colour: 'red' }) });
    const { container } = render(App);
    await user.type(await screen.findByTestId('checkin-input'), '1234{Enter}');

    await screen.findByTestId('result-screen');
    expect(container.querySelector('header')).toHaveAttribute('data-colour', 'red');

    // Leaving red needs a recorded reason: Esc, 1 (误扫), Enter.
    await user.keyboard('{Escape}');
    expect(container.querySelector('header')).toHaveAttribute('data-colour', 'red');
    await user.keyboard('1{Enter}');
    await waitFor(() => expect(container.querySelector('header')).not.toHaveAttribute('data-colour'));
    expect(api.releaseVisit).toHaveBeenCalledWith(expect.any(String), 'misscan', '');
  });

  it('keeps a red result waiting across tab switches, but not a green one', async () => {
    const user = userEvent.setup();
    vi.mocked(api.checkInByLast4)
      .mockResolvedValueOnce({ outcome: 'checked_in', result: result({ colour: 'red' }) })
      .mockResolvedValueOnce({ outcome: 'checked_in', result: result({ colour: 'green' }) });
    render(App);
    await user.type(await screen.findByTestId('checkin-input'), '1234{Enter}');
    await screen.findByTestId('result-screen');

    await user.keyboard('{Alt>}5{/Alt}');
    await user.keyboard('{Alt>}1{/Alt}');
    expect(screen.getByTestId('result-screen')).toHaveAttribute('data-colour', 'red');

    await user.keyboard('{Escape}');
    await user.keyboard('1{Enter}');
    await user.type(await screen.findByTestId('checkin-input'), '5678{Enter}');
    expect(await screen.findByTestId('result-screen')).toHaveAttribute('data-colour', 'green');
    await user.keyboard('{Alt>}5{/Alt}');
    await user.keyboard('{Alt>}1{/Alt}');
    expect(screen.queryByTestId('result-screen')).not.toBeInTheDocument();
    expect(screen.getByTestId('checkin-input')).toHaveFocus();
  });

  it('shows a failure to load the catalog with a way to retry', async () => {
    const user = userEvent.setup();
    vi.mocked(api.catalog).mockRejectedValueOnce(commandError({ code: 'storage', message: '数据库错误，请重试' }));
    render(App);

    expect(await screen.findByRole('alert')).toHaveTextContent('无法加载基础数据：数据库错误，请重试');
    await user.click(screen.getByRole('button', { name: '重新加载' }));
    expect(await screen.findByTestId('checkin-input')).toBeInTheDocument();
  });
});

describe('App: signing in', () => {
  it('asks for the first operator on a new desk, who is then signed in', async () => {
    const user = userEvent.setup();
    vi.mocked(api.currentOperator).mockResolvedValue(null);
    vi.mocked(api.operators).mockResolvedValue([]);
    vi.mocked(api.addOperator).mockResolvedValue(zhang);
    render(App);

    expect(await screen.findByText('创建第一个登记员（管理员）')).toBeInTheDocument();
    await waitFor(() => expect(screen.getByTestId('first-operator-name')).toHaveFocus());
    expect(screen.queryByTestId('checkin-input')).not.toBeInTheDocument();
    await user.keyboard('张敏');
    await user.type(screen.getByTestId('first-operator-pin'), '246813');
    await user.type(screen.getByTestId('first-operator-pin2'), '246813{Enter}');

    expect(api.addOperator).toHaveBeenCalledWith('张敏', '246813');
    expect(await screen.findByTestId('checkin-input')).toHaveFocus();
    expect(screen.getByTestId('current-operator')).toHaveTextContent('登记员：张敏');
  });

  it('walks the first administrator of a new desk through its first steps; a tab leaves them', async () => {
    const user = userEvent.setup();
    vi.mocked(api.currentOperator).mockResolvedValue(null);
    vi.mocked(api.servedVenue).mockResolvedValue(null);
    vi.mocked(api.operators).mockResolvedValue([]);
    vi.mocked(api.addOperator).mockResolvedValue(zhang);
    vi.mocked(api.setupPending).mockResolvedValue(true);
    render(App);
    await waitFor(() => expect(screen.getByTestId('first-operator-name')).toHaveFocus());
    await user.keyboard('张敏');
    await user.type(screen.getByTestId('first-operator-pin'), '246813');
    await user.type(screen.getByTestId('first-operator-pin2'), '246813{Enter}');

    expect(await screen.findByTestId('first-run')).toHaveTextContent('开始使用本登记台');
    await waitFor(() => expect(screen.getByLabelText('码的类型')).toHaveFocus());
    expect(screen.queryByTestId('checkin-input')).not.toBeInTheDocument();
    // No tab is shown as open while the guide is.
    expect(screen.getAllByRole('tab').filter((tab) => tab.getAttribute('aria-selected') === 'true')).toHaveLength(0);

    await user.click(screen.getByTestId('nav-today'));
    expect(screen.getByTestId('nav-today')).toHaveAttribute('aria-selected', 'true');
    expect(screen.queryByTestId('first-run')).not.toBeInTheDocument();
  });

  it('does not show the first steps to a clerk, or once the desk is set up', async () => {
    vi.mocked(api.setupPending).mockResolvedValue(false);
    render(App);
    expect(await screen.findByTestId('checkin-input')).toBeInTheDocument();
    expect(screen.queryByTestId('first-run')).not.toBeInTheDocument();
  });

  it('shows the sign-in form on every tab, and reads nothing signed out', async () => {
    const user = userEvent.setup();
    vi.mocked(api.currentOperator).mockResolvedValue(null);
    render(App);

    expect(await screen.findByTestId('signin-operator')).toBeInTheDocument();
    expect(screen.getByTestId('current-operator')).toHaveTextContent('未登录');
    for (const tab of ['nav-register', 'nav-venues', 'nav-import', 'nav-today', 'nav-incidents', 'nav-settings']) {
      await user.click(screen.getByTestId(tab));
      expect(await screen.findByTestId('signin-operator')).toBeInTheDocument();
    }
    expect(api.today).not.toHaveBeenCalled();
    expect(api.incidents).not.toHaveBeenCalled();
    expect(api.listVenues).not.toHaveBeenCalled();
  });

  it('shows an operator who is not the administrator why 场所登记 and 批量导入 are closed', async () => {
    const user = userEvent.setup();
    vi.mocked(api.currentOperator).mockResolvedValue(operator({ id: 'op-2', name: '李娜', is_admin: false }));
    render(App);
    await screen.findByTestId('checkin-input');
    for (const tab of ['nav-register', 'nav-import']) {
      await user.click(screen.getByTestId(tab));
      expect(await screen.findByTestId('admin-only')).toHaveTextContent('只有本台管理员可以使用');
    }
    expect(screen.queryByTestId('venue-form')).not.toBeInTheDocument();
    await user.click(screen.getByTestId('nav-venues'));
    expect(await screen.findAllByTestId('venue-row')).toHaveLength(2);
  });

  it('asks an operator with a PIN from before the rule to change it before anything else', async () => {
    const user = userEvent.setup();
    const weak = operator({ id: 'op-2', name: '李娜', is_admin: false, must_change_pin: true });
    vi.mocked(api.currentOperator).mockResolvedValue(weak);
    vi.mocked(api.changePin).mockResolvedValue({ ...weak, must_change_pin: false });
    render(App);
    expect(await screen.findByTestId('pin-first')).toHaveTextContent('请先修改PIN');
    await user.click(screen.getByTestId('nav-today'));
    expect(await screen.findByTestId('pin-first')).toBeInTheDocument();
    expect(api.today).not.toHaveBeenCalled();
    await user.type(screen.getByTestId('pin-change-current'), '2468');
    await user.type(screen.getByTestId('pin-change-pin'), '864209');
    await user.type(screen.getByTestId('pin-change-pin2'), '864209{Enter}');
    expect(api.changePin).toHaveBeenCalledWith('2468', '864209');
    expect(await screen.findByTestId('today-total')).toBeInTheDocument();
    expect(screen.queryByTestId('pin-first')).not.toBeInTheDocument();
  });

  it('signs the operator out after the idle time, and a key press starts it again', async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true });
    try {
      vi.mocked(api.sessionSettings).mockResolvedValue({ idle_minutes: 2, retention_days: 28 });
      render(App);
      const input = await screen.findByTestId('checkin-input');
      await vi.advanceTimersByTimeAsync(100_000);
      input.dispatchEvent(new KeyboardEvent('keydown', { key: '1', bubbles: true }));
      await vi.advanceTimersByTimeAsync(100_000);
      expect(screen.getByTestId('current-operator')).not.toHaveTextContent('未登录');
      expect(api.signOut).not.toHaveBeenCalled();
      await vi.advanceTimersByTimeAsync(30_000);
      await waitFor(() => expect(screen.getByTestId('current-operator')).toHaveTextContent('未登录'));
      expect(api.signOut).toHaveBeenCalledTimes(1);
      expect(await screen.findByTestId('signin-operator')).toBeInTheDocument();
    } finally {
      vi.useRealTimers();
    }
  });

  it('clears the screen when the desk signed its operator out on its own, without waiting for a click', async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true });
    try {
      render(App);
      await screen.findByTestId('checkin-input');
      expect(screen.getByTestId('current-operator')).not.toHaveTextContent('未登录');
      // The desk's own clock signed the operator out (a limit lowered, a longer pause).
      vi.mocked(api.currentOperator).mockResolvedValue(null);
      await vi.advanceTimersByTimeAsync(16_000);
      await waitFor(() => expect(screen.getByTestId('current-operator')).toHaveTextContent('未登录'));
      expect(await screen.findByTestId('signin-operator')).toBeInTheDocument();
    } finally {
      vi.useRealTimers();
    }
  });

  it('tells the desk the operator is typing, at most every 20 seconds, so a long form is not cut short', async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true });
    try {
      render(App);
      const input = await screen.findByTestId('checkin-input');
      vi.mocked(api.reportActivity).mockClear();
      await vi.advanceTimersByTimeAsync(21_000);
      input.dispatchEvent(new KeyboardEvent('keydown', { key: '1', bubbles: true }));
      input.dispatchEvent(new KeyboardEvent('keydown', { key: '2', bubbles: true }));
      expect(api.reportActivity).toHaveBeenCalledTimes(1);
      await vi.advanceTimersByTimeAsync(21_000);
      input.dispatchEvent(new KeyboardEvent('keydown', { key: '3', bubbles: true }));
      expect(api.reportActivity).toHaveBeenCalledTimes(2);
    } finally {
      vi.useRealTimers();
    }
  });

  it('follows a raised idle limit at once, not at the next click', async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true });
    try {
      vi.mocked(api.sessionSettings).mockResolvedValue({ idle_minutes: 1, retention_days: 28 });
      render(App);
      await screen.findByTestId('checkin-input');
      // Raised to 30 minutes elsewhere (the administrator's settings in this window or a command).
      vi.mocked(api.sessionSettings).mockResolvedValue({ idle_minutes: 30, retention_days: 28 });
      await vi.advanceTimersByTimeAsync(16_000);
      await vi.advanceTimersByTimeAsync(120_000);
      expect(api.signOut).not.toHaveBeenCalled();
      expect(screen.getByTestId('current-operator')).not.toHaveTextContent('未登录');
    } finally {
      vi.useRealTimers();
    }
  });

  it('signs in with the chosen operator and PIN', async () => {
    const user = userEvent.setup();
    vi.mocked(api.currentOperator).mockResolvedValue(null);
    const li = operator({ id: 'op-2', name: '李娜', is_admin: false });
    vi.mocked(api.signIn).mockResolvedValue(li);
    render(App);

    await user.selectOptions(await screen.findByTestId('signin-operator'), '李娜');
    await user.type(screen.getByTestId('signin-pin'), '135792{Enter}');

    expect(api.signIn).toHaveBeenCalledWith('李娜', '135792');
    expect(await screen.findByTestId('checkin-input')).toHaveFocus();
    expect(screen.getByTestId('current-operator')).toHaveTextContent('登记员：李娜');
  });

  it('returns to sign-in when a check-in finds the desk signed out, dropping what was on screen', async () => {
    const user = userEvent.setup();
    vi.mocked(api.checkInById).mockResolvedValue({ outcome: 'unknown', id_number: '11010519491231002X', document_kind: 'resident_id' });
    vi.mocked(api.declare).mockRejectedValue(
      commandError({ code: 'signed_out', message: '请先登录：选择登记员并输入PIN' }),
    );
    render(App);
    await user.type(await screen.findByTestId('checkin-input'), '11010519491231002X{Enter}');
    await user.type(await screen.findByTestId('declare-name'), '李秀英{Enter}');

    expect(await screen.findByTestId('signin-pin')).toBeInTheDocument();
    expect(screen.queryByTestId('current-operator')).toHaveTextContent('未登录');

    vi.mocked(api.signIn).mockResolvedValue(zhang);
    await user.selectOptions(screen.getByTestId('signin-operator'), '张敏');
    await user.type(screen.getByTestId('signin-pin'), '246813{Enter}');
    // A fresh desk: nothing of the person typed before.
    expect(await screen.findByTestId('checkin-input')).toHaveValue('');
    expect(screen.queryByTestId('declare-name')).not.toBeInTheDocument();
  });

  it('退出 signs out', async () => {
    const user = userEvent.setup();
    render(App);
    await screen.findByTestId('checkin-input');

    await user.click(screen.getByRole('button', { name: '退出登录：张敏' }));

    expect(api.signOut).toHaveBeenCalledTimes(1);
    expect(await screen.findByTestId('signin-operator')).toBeInTheDocument();
    expect(screen.queryByTestId('checkin-input')).not.toBeInTheDocument();
  });

  it('设置 has the central server, the code check and the poster settings', async () => {
    const user = userEvent.setup();
    render(App);
    await screen.findByTestId('checkin-input');
    await user.click(screen.getByTestId('nav-settings'));

    expect(await screen.findByRole('heading', { name: '中心服务器' })).toBeInTheDocument();
    expect(await screen.findByTestId('sync-connect-url')).toBeInTheDocument();

    expect(await screen.findByRole('heading', { name: '核验场所码' })).toBeInTheDocument();
    expect(screen.getByTestId('verify-input')).toBeInTheDocument();
    expect(await screen.findByTestId('poster-base-url')).toHaveValue('https://placecode.kaifeng.gov.cn');
  });

  it('a venue’s codes found signed out: the header says so and the panel asks to sign in', async () => {
    const user = userEvent.setup();
    vi.mocked(api.venueCodes).mockResolvedValue([]);
    vi.mocked(api.issueCode).mockRejectedValue(commandError({ code: 'signed_out', message: '请先登录：选择登记员并输入PIN' }));
    render(App);
    await screen.findByTestId('checkin-input');
    await user.click(screen.getByTestId('nav-venues'));
    await user.click(within((await screen.findAllByTestId('venue-row'))[1]!).getByTestId('venue-codes'));
    await user.type(await screen.findByTestId('new-code-label'), '东门{Enter}');

    await waitFor(() => expect(screen.getByTestId('current-operator')).toHaveTextContent('未登录'));
    expect(await screen.findByTestId('signin-operator')).toBeInTheDocument();
  });
});

describe('App: the 货车 tab', () => {
  const checkpoint = venue({ id: 'v-checkpoint', kind: 'checkpoint', category: 'other', name: '兰考收费站卡口', served: true });
  const company = venue({ id: 'v-company', kind: 'destination', category: 'institution', name: '开封市万通物流有限公司', served: true });

  beforeEach(() => {
    vi.mocked(api.truckBoard).mockResolvedValue(tripBoard());
  });

  const tabIds = () => screen.getAllByRole('tab').map((tab) => tab.dataset.testid);

  it('is hidden at a general venue, and Alt+8 does nothing there', async () => {
    const user = userEvent.setup();
    render(App);
    await screen.findByTestId('checkin-input');
    expect(screen.queryByTestId('nav-trucks')).not.toBeInTheDocument();
    expect(tabIds()).toHaveLength(7);

    await user.keyboard('{Alt>}8{/Alt}');
    expect(screen.getByTestId('nav-checkin')).toHaveAttribute('aria-selected', 'true');
    expect(api.truckBoard).not.toHaveBeenCalled();
  });

  it('is hidden while no venue is served', async () => {
    vi.mocked(api.servedVenue).mockResolvedValue(null);
    render(App);
    await screen.findByTestId('checkin-input');
    expect(screen.queryByTestId('nav-trucks')).not.toBeInTheDocument();
  });

  it('shows the checkpoint screen at a checkpoint, last, on Alt+8, with the find box focused', async () => {
    const user = userEvent.setup();
    vi.mocked(api.servedVenue).mockResolvedValue(checkpoint);
    render(App);
    await screen.findByTestId('checkin-input');
    expect(tabIds()).toEqual([
      'nav-checkin',
      'nav-register',
      'nav-venues',
      'nav-import',
      'nav-today',
      'nav-incidents',
      'nav-settings',
      'nav-trucks',
    ]);
    expect(screen.getByTestId('nav-trucks')).toHaveTextContent('货车');
    expect(screen.getByTestId('nav-trucks')).toHaveAttribute('aria-keyshortcuts', 'Alt+8');

    await user.keyboard('{Alt>}8{/Alt}');

    expect(screen.getByTestId('nav-trucks')).toHaveAttribute('aria-selected', 'true');
    expect(await screen.findByTestId('truck-checkpoint')).toBeInTheDocument();
    expect(screen.getByTestId('truck-find')).toHaveFocus();
    expect(screen.queryByTestId('truck-destination-desk')).not.toBeInTheDocument();
  });

  it('shows the destination screen at a destination, with the arrival box focused', async () => {
    const user = userEvent.setup();
    vi.mocked(api.servedVenue).mockResolvedValue(company);
    render(App);
    await screen.findByTestId('checkin-input');

    await user.keyboard('{Alt>}8{/Alt}');

    expect(await screen.findByTestId('truck-destination-desk')).toBeInTheDocument();
    expect(screen.queryByTestId('truck-checkpoint')).not.toBeInTheDocument();
    expect(screen.getByTestId('truck-arrival-input')).toHaveFocus();
  });

  it('needs a signed-in operator', async () => {
    const user = userEvent.setup();
    vi.mocked(api.servedVenue).mockResolvedValue(checkpoint);
    vi.mocked(api.currentOperator).mockResolvedValue(null);
    render(App);
    await screen.findByTestId('signin-operator');

    await user.click(screen.getByTestId('nav-trucks'));

    expect(await screen.findByTestId('signin-operator')).toBeInTheDocument();
    expect(screen.queryByTestId('truck-checkpoint')).not.toBeInTheDocument();
    expect(api.truckBoard).not.toHaveBeenCalled();
  });

  it('is reached with the arrow keys from the last tab, and wraps around', async () => {
    const user = userEvent.setup();
    vi.mocked(api.servedVenue).mockResolvedValue(checkpoint);
    render(App);
    await screen.findByTestId('checkin-input');
    await user.click(screen.getByTestId('nav-settings'));

    await user.keyboard('{ArrowDown}');
    expect(screen.getByTestId('nav-trucks')).toHaveFocus();
    await user.keyboard('{ArrowDown}');
    expect(screen.getByTestId('nav-checkin')).toHaveFocus();
  });

  it('goes away, back to the desk, when a general venue becomes the served one', async () => {
    const user = userEvent.setup();
    const general = venue({ id: 'v-general', name: '鼓楼区便民超市' });
    vi.mocked(api.servedVenue).mockResolvedValue(checkpoint);
    vi.mocked(api.listVenues).mockResolvedValue([checkpoint, general]);
    vi.mocked(api.setServedVenue).mockResolvedValue({ ...general, served: true });
    render(App);
    await screen.findByTestId('checkin-input');
    await user.click(screen.getByTestId('nav-venues'));
    const row = (await screen.findAllByTestId('venue-row')).find((r) => r.dataset.venueId === 'v-general')!;

    await user.click(within(row).getByTestId('venue-set-served'));

    await waitFor(() => expect(screen.queryByTestId('nav-trucks')).not.toBeInTheDocument());
  });

  it('colours the header with a truck crew’s result, and keeps a half-typed entry across tabs', async () => {
    const user = userEvent.setup();
    vi.mocked(api.servedVenue).mockResolvedValue(checkpoint);
    vi.mocked(api.truckOpenTrip).mockResolvedValue({
      trip: null,
      results: [result({ colour: 'green' }), result({ colour: 'yellow' })],
    });
    const { container } = render(App);
    await screen.findByTestId('checkin-input');
    await user.click(screen.getByTestId('nav-trucks'));
    await user.type(await screen.findByTestId('truck-plate'), '豫B12345');

    await user.keyboard('{Alt>}5{/Alt}');
    await user.keyboard('{Alt>}8{/Alt}');
    expect(await screen.findByTestId('truck-plate')).toHaveValue('豫B12345');

    await user.click(screen.getByTestId('truck-open'));
    expect(await screen.findByTestId('result-screen')).toHaveAttribute('data-colour', 'yellow');
    expect(container.querySelector('header')).toHaveAttribute('data-colour', 'yellow');

    // Still waiting for the operator after a look at another tab.
    await user.keyboard('{Alt>}5{/Alt}');
    expect(container.querySelector('header')).not.toHaveAttribute('data-colour');
    await user.keyboard('{Alt>}8{/Alt}');
    expect(screen.getByTestId('result-screen')).toHaveAttribute('data-colour', 'yellow');
    await user.keyboard('{Escape}');
    await user.keyboard('1{Enter}');
    expect(await screen.findByTestId('truck-entry-form')).toBeInTheDocument();
    expect(container.querySelector('header')).not.toHaveAttribute('data-colour');
  });

  it('shows an overdue trip on the checkpoint’s board', async () => {
    const user = userEvent.setup();
    vi.mocked(api.servedVenue).mockResolvedValue(checkpoint);
    vi.mocked(api.truckBoard).mockResolvedValue(tripBoard({ overdue: [trip({ plate: '豫B12345', status: 'overdue' })] }));
    render(App);
    await screen.findByTestId('checkin-input');
    await user.click(screen.getByTestId('nav-trucks'));
    expect(await screen.findByTestId('truck-overdue-row')).toHaveTextContent('豫B12345');
  });
});
