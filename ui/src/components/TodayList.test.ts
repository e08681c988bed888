import { render, screen, waitFor, within } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import { beforeEach, describe, expect, it, vi } from 'vitest';

vi.mock('../lib/api');

import * as api from '../lib/api';
import { commandError, todaySummary, visitRow } from '../test/fixtures';
import TodayList from './TodayList.svelte';

const today = vi.mocked(api.today);

const pending = visitRow({
  id: 'r-1',
  at: '2026-11-27T06:05:09Z',
  masked_name: '李**',
  masked_id: '110***********002X',
  colour: 'green',
  way_in: 'last4',
  operator_name: '张敏',
  trip_code_checked: true,
  sync_state: 'pending',
});
const synced = visitRow({
  id: 'r-2',
  at: '2026-11-27T01:30:00Z',
  masked_name: '张*',
  masked_id: '410***********0011',
  colour: 'yellow',
  way_in: 'manual',
  operator_name: '李娜',
  helped_by: '父亲 张*',
  trip_code_checked: false,
  sync_state: 'synced',
});
const odd = visitRow({
  id: 'r-3',
  colour: 'red',
  way_in: 'declaration',
  sync_state: 'failed',
  operator_name: null,
  entrance: '南门',
  present: true,
});

beforeEach(() => {
  vi.resetAllMocks();
  vi.mocked(api.onSyncStatus).mockResolvedValue(() => {});
  today.mockResolvedValue(todaySummary([pending, synced, odd]));
});

function row(id: string): HTMLElement {
  const found = screen.getAllByTestId('today-row').find((r) => r.dataset.visitId === id);
  if (!found) throw new Error(`no row ${id}`);
  return found;
}

describe('TodayList', () => {
  it('shows the counts by colour and by way in', async () => {
    render(TodayList, { onsignedout: vi.fn() });
    expect(await screen.findByTestId('today-total')).toHaveTextContent('3');
    expect(today).toHaveBeenCalledWith('', undefined);
    expect(screen.getByTestId('today-green')).toHaveTextContent('1');
    expect(screen.getByTestId('today-yellow')).toHaveTextContent('1');
    expect(screen.getByTestId('today-red')).toHaveTextContent('1');
    expect(screen.getByTestId('today-by-last4')).toHaveTextContent('1');
    expect(screen.getByTestId('today-by-manual')).toHaveTextContent('1');
    expect(screen.getByTestId('today-by-declaration')).toHaveTextContent('1');
    expect(screen.getByTestId('today-by-id-number')).toHaveTextContent('0');
    expect(screen.getByTestId('today-pending')).toHaveTextContent('2');
  });

  it('lists each visit with time, masked identity, colour, way in, operator, helper and trip code', async () => {
    render(TodayList, { onsignedout: vi.fn() });
    await screen.findAllByTestId('today-row');

    const first = within(row('r-1'));
    expect(first.getByText('14:05')).toBeInTheDocument();
    expect(first.getByText('李**')).toBeInTheDocument();
    expect(first.getByText('110***********002X')).toBeInTheDocument();
    expect(first.getByTestId('today-row-colour')).toHaveTextContent('绿码');
    expect(first.getByText('后四位')).toBeInTheDocument();
    expect(first.getByText('张敏')).toBeInTheDocument();
    expect(row('r-1')).toHaveTextContent('✓');

    const second = within(row('r-2'));
    expect(second.getByText('09:30')).toBeInTheDocument();
    expect(second.getByTestId('today-row-colour')).toHaveTextContent('黄码');
    expect(second.getByText('手工登记')).toBeInTheDocument();
    expect(second.getByText('父亲 张*')).toBeInTheDocument();
    expect(row('r-2')).not.toHaveTextContent('✓');
    expect(within(row('r-2')).queryByTestId('today-row-entrance')).toBeNull();

    // A phone's check-in by a code: its entrance, and 到场核验 from a live 扫码屏.
    const third = within(row('r-3'));
    expect(third.getByTestId('today-row-entrance')).toHaveTextContent('· 南门');
    expect(third.getByTestId('today-row-present')).toHaveTextContent('到场核验');
  });

  it('shows pending rows as 未同步 and never as synced; only synced rows as 已同步', async () => {
    render(TodayList, { onsignedout: vi.fn() });
    await screen.findAllByTestId('today-row');

    expect(within(row('r-1')).getByTestId('today-row-sync')).toHaveTextContent('未同步');
    expect(within(row('r-1')).getByTestId('today-row-sync')).toHaveClass('badge-pending');
    expect(row('r-1')).not.toHaveTextContent('已同步');
    expect(within(row('r-2')).getByTestId('today-row-sync')).toHaveTextContent('已同步');
    // A state this UI does not know is not confirmed either.
    expect(within(row('r-3')).getByTestId('today-row-sync')).toHaveTextContent('未同步');
  });

  it('searches as the operator types, once the typing pauses', async () => {
    const user = userEvent.setup();
    render(TodayList, { onsignedout: vi.fn() });
    await screen.findAllByTestId('today-row');
    today.mockClear();
    today.mockResolvedValue(todaySummary([synced]));

    await user.type(screen.getByPlaceholderText('搜索完整姓名、证件号码后四位、完整证件号码或时间（如 14:05）'), '0011');

    await waitFor(() => expect(today).toHaveBeenCalledWith('0011', undefined));
    expect(today).toHaveBeenCalledTimes(1);
    await waitFor(() => expect(screen.getAllByTestId('today-row')).toHaveLength(1));
    expect(screen.getByTestId('today-total')).toHaveTextContent('1');
  });

  it('searches at once on Enter and says when nothing matches', async () => {
    const user = userEvent.setup();
    render(TodayList, { onsignedout: vi.fn() });
    await screen.findAllByTestId('today-row');
    today.mockResolvedValue(todaySummary([]));

    await user.type(screen.getByTestId('today-search'), '23:59{Enter}');

    expect(today).toHaveBeenCalledWith('23:59', undefined);
    expect(await screen.findByTestId('today-empty')).toHaveTextContent('没有找到与“23:59”相符的登记记录。只按完整姓名、证件号码后四位或完整号码、时间（如 14:05）查找');
  });

  it('says when nobody came today', async () => {
    today.mockResolvedValue(todaySummary([]));
    render(TodayList, { onsignedout: vi.fn() });
    expect(await screen.findByText('今天还没有登记记录。')).toBeInTheDocument();
  });

  it('reports signed_out, and shows other failures', async () => {
    today.mockRejectedValueOnce(commandError({ code: 'signed_out', message: '请先登录' }));
    const onsignedout = vi.fn();
    render(TodayList, { onsignedout });
    await waitFor(() => expect(onsignedout).toHaveBeenCalledTimes(1));
  });

  it('shows a storage failure', async () => {
    today.mockRejectedValueOnce(commandError({ code: 'storage', message: '数据库错误，请重试' }));
    render(TodayList, { onsignedout: vi.fn() });
    expect(await screen.findByTestId('today-error')).toHaveTextContent('数据库错误，请重试');
  });
});

describe('after a sync', () => {
  it('reloads when fewer records wait, so acknowledged visits show 已同步', async () => {
    const { mockSyncEvents } = await import('../test/syncEvents');
    const { syncStatus } = await import('../test/fixtures');
    const events = mockSyncEvents();
    render(TodayList, { onsignedout: vi.fn() });
    await waitFor(() => expect(today).toHaveBeenCalledTimes(1));
    await waitFor(() => expect(events.listening()).toBe(1));
    events.emit(syncStatus({ pending: 3 }));
    events.emit(syncStatus({ pending: 3 }));
    expect(today).toHaveBeenCalledTimes(1);
    today.mockResolvedValue(todaySummary([{ ...pending, sync_state: 'synced' }]));
    events.emit(syncStatus({ pending: 0 }));
    await waitFor(() => expect(today).toHaveBeenCalledTimes(2));
    await waitFor(() => expect(screen.getAllByText('已同步').length).toBeGreaterThan(0));
  });
});

describe('a busy day', () => {
  /** `n` rows of a day, newest first. */
  function rows(n: number, from = 0) {
    return Array.from({ length: n }, (_, i) => visitRow({ id: `busy-${from + i}` }));
  }

  it('counts every check-in, lists the newest, and 显示更多 lists the next page, kept on reload', async () => {
    const { mockSyncEvents } = await import('../test/syncEvents');
    const { syncStatus } = await import('../test/fixtures');
    const events = mockSyncEvents();
    const user = userEvent.setup();
    today.mockResolvedValue(todaySummary(rows(200), { total: 20_450, green: 20_450, more: 200 }));
    render(TodayList, { onsignedout: vi.fn() });

    expect(await screen.findByTestId('today-total')).toHaveTextContent('20450');
    expect(screen.getAllByTestId('today-row')).toHaveLength(200);
    expect(screen.getByTestId('today-shown-of')).toHaveTextContent('显示最新的 200 条，共 20450 条；更早的记录请搜索或导出Excel。');

    today.mockResolvedValue(todaySummary(rows(400), { total: 20_450, green: 20_450, more: 200 }));
    await user.click(screen.getByTestId('today-more'));
    expect(today).toHaveBeenLastCalledWith('', 400);
    await waitFor(() => expect(screen.getAllByTestId('today-row')).toHaveLength(400));
    expect(screen.getByTestId('today-shown-of')).toHaveTextContent('显示最新的 400 条，共 20450 条');
    expect(screen.getByTestId('today-more')).toHaveTextContent('再显示 200 条');

    // A sync's reload keeps the rows shown.
    await waitFor(() => expect(events.listening()).toBe(1));
    events.emit(syncStatus({ pending: 5 }));
    events.emit(syncStatus({ pending: 2 }));
    await waitFor(() => expect(today).toHaveBeenLastCalledWith('', 400));

    // A new search starts again at its first page.
    today.mockResolvedValue(todaySummary(rows(3), { total: 3 }));
    await user.type(screen.getByTestId('today-search'), '0011{Enter}');
    expect(today).toHaveBeenLastCalledWith('0011', undefined);
    await waitFor(() => expect(screen.getAllByTestId('today-row')).toHaveLength(3));
    expect(screen.queryByTestId('today-shown-of')).toBeNull();
    expect(screen.queryByTestId('today-more')).toBeNull();
    // The counts are the search's, and say so.
    expect(screen.getByTestId('today-search-counts')).toHaveTextContent('下列统计只含与“0011”相符的记录；清空搜索看全天。');
  });

  it('at the most it lists, says so where the clerk is and keeps the keyboard there', async () => {
    const user = userEvent.setup();
    today.mockResolvedValue(todaySummary(rows(800), { total: 9_000, more: 200 }));
    render(TodayList, { onsignedout: vi.fn() });
    await screen.findByTestId('today-more');
    expect(screen.queryByTestId('today-search-counts')).toBeNull();
    today.mockResolvedValue(todaySummary(rows(1000), { total: 9_000, more: 0 }));
    await user.click(screen.getByTestId('today-more'));
    await waitFor(() => expect(screen.getByTestId('today-shown-of')).toHaveFocus());
    expect(screen.getByTestId('today-shown-of')).toHaveTextContent('显示最新的 1000 条（最多显示这么多），共 9000 条');
    expect(screen.queryByTestId('today-more')).toBeNull();
  });

  it('offers no more past the most the desk lists, and says where the rest are', async () => {
    today.mockResolvedValue(todaySummary(rows(50), { total: 9_000, more: 0 }));
    render(TodayList, { onsignedout: vi.fn() });
    expect(await screen.findByTestId('today-shown-of')).toHaveTextContent('共 9000 条；更早的记录请搜索或导出Excel');
    expect(screen.queryByTestId('today-more')).toBeNull();
  });
});

describe('TodayList: another day, Excel and print', () => {
  it('shows the day before, back to today, and refuses a date that is not one', async () => {
    const user = userEvent.setup();
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(new Date('2026-11-27T04:00:00Z'));
    today.mockResolvedValue(todaySummary([pending]));
    vi.mocked(api.dayVisits).mockResolvedValue(todaySummary([synced]));
    render(TodayList, { onsignedout: vi.fn() });
    expect(await screen.findByTestId('today-day')).toHaveValue('2026-11-27');
    await user.click(screen.getByTestId('today-prev'));
    await waitFor(() => expect(api.dayVisits).toHaveBeenLastCalledWith('2026-11-26', ''));
    expect(screen.getByRole('heading', { level: 2 })).toHaveTextContent('2026-11-26 登记');
    expect(screen.getByTestId('today-day')).toHaveValue('2026-11-26');
    await user.click(screen.getByTestId('today-back'));
    expect(screen.getByRole('heading', { level: 2 })).toHaveTextContent('今日登记');
    // The button went with the other day: the keyboard is on the day field, not lost.
    await waitFor(() => expect(screen.getByTestId('today-day')).toHaveFocus());
    await user.clear(screen.getByTestId('today-day'));
    await user.type(screen.getByTestId('today-day'), '11月26日{Enter}');
    expect(await screen.findByTestId('error-date')).toHaveTextContent('请按“2026-11-27”的格式输入');
    // The backend's reason for a day past the retention window shows under the field too.
    vi.mocked(api.dayVisits).mockRejectedValueOnce(
      commandError({ code: 'invalid', message: '日期：早于保存期限（28天），这一天的记录已删除', fields: [{ field: 'date', message: '日期：早于保存期限（28天），这一天的记录已删除' }] }),
    );
    await user.clear(screen.getByTestId('today-day'));
    await user.type(screen.getByTestId('today-day'), '2026-09-01{Enter}');
    expect(await screen.findByTestId('error-date')).toHaveTextContent('早于保存期限');
    // The day refused changes nothing shown: heading and list stay today's.
    expect(screen.getByTestId('today-title')).toHaveTextContent('今日登记（2026-11-27）');
    expect(screen.getAllByTestId('today-row')).toHaveLength(1);
    // Today has no day after it: 后一天 is dimmed, not taken out of the keyboard's way.
    expect(screen.getByTestId('today-next')).toHaveAttribute('aria-disabled', 'true');
    vi.useRealTimers();
  });

  it('counts quick presses of 前一天 while a day loads, and shows the last day asked for', async () => {
    const user = userEvent.setup();
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(new Date('2026-11-27T04:00:00Z'));
    today.mockResolvedValue(todaySummary([pending], { first_day: '2026-10-30' }));
    // Each day answers after the presses: the earlier days last of all.
    const slow = (ms: number) => new Promise((r) => setTimeout(r, ms));
    vi.mocked(api.dayVisits).mockImplementation(async (date) => {
      await slow(date === '2026-11-24' ? 10 : 60);
      return todaySummary([synced], { first_day: '2026-10-30' });
    });
    render(TodayList, { onsignedout: vi.fn() });
    const prev = await screen.findByTestId('today-prev');
    prev.focus();
    await user.keyboard('{Enter}{Enter}{Enter}');
    expect(vi.mocked(api.dayVisits).mock.calls.map((c) => c[0])).toEqual(['2026-11-26', '2026-11-25', '2026-11-24']);
    await waitFor(() => expect(screen.getByTestId('today-title')).toHaveTextContent('2026-11-24 登记'));
    await slow(100);
    expect(screen.getByTestId('today-title')).toHaveTextContent('2026-11-24 登记');
    expect(screen.getByTestId('today-day')).toHaveValue('2026-11-24');
    vi.useRealTimers();
  });

  it('stops 前一天 at the first day kept, with the keyboard still on it', async () => {
    const user = userEvent.setup();
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(new Date('2026-11-27T04:00:00Z'));
    today.mockResolvedValue(todaySummary([pending], { first_day: '2026-11-26' }));
    vi.mocked(api.dayVisits).mockResolvedValue(todaySummary([synced], { first_day: '2026-11-26' }));
    render(TodayList, { onsignedout: vi.fn() });
    const prev = await screen.findByTestId('today-prev');
    expect(prev).toHaveAttribute('aria-disabled', 'false');
    expect(screen.queryByTestId('today-first-day')).toBeNull();
    prev.focus();
    await user.keyboard('{Enter}');
    await waitFor(() => expect(screen.getByTestId('today-title')).toHaveTextContent('2026-11-26 登记'));
    expect(prev).toHaveAttribute('aria-disabled', 'true');
    expect(prev).toHaveFocus();
    expect(screen.getByTestId('today-first-day')).toHaveTextContent('更早的记录已按保存期限删除');
    expect(prev).toHaveAccessibleDescription('更早的记录已按保存期限删除');
    // Pressed again: nothing asked, nothing changed.
    await user.keyboard('{Enter}');
    expect(api.dayVisits).toHaveBeenCalledTimes(1);
    expect(screen.getByTestId('today-day')).toHaveValue('2026-11-26');
    // 后一天 goes back towards today and 前一天 works again.
    await user.click(screen.getByTestId('today-next'));
    await waitFor(() => expect(screen.getByTestId('today-title')).toHaveTextContent('今日登记'));
    expect(prev).toHaveAttribute('aria-disabled', 'false');
    vi.useRealTimers();
  });

  it('saves the shown day as a masked workbook and offers to open it', async () => {
    const user = userEvent.setup();
    today.mockResolvedValue(todaySummary([pending]));
    vi.mocked(api.exportDay).mockResolvedValue('/home/clerk/2026-11-27-鼓楼区幸福养老院-登记名单.xlsx');
    render(TodayList, { onsignedout: vi.fn() });
    await user.click(await screen.findByTestId('today-export'));
    expect(api.exportDay).toHaveBeenCalledWith(expect.stringMatching(/^\d{4}-\d{2}-\d{2}$/));
    expect(await screen.findByTestId('today-exported')).toHaveTextContent('登记名单.xlsx');
    await user.click(screen.getByTestId('today-open-export'));
    expect(api.openFile).toHaveBeenCalledWith('/home/clerk/2026-11-27-鼓楼区幸福养老院-登记名单.xlsx');
    // No full export for an operator who is not the administrator.
    expect(screen.queryByTestId('today-export-full-open')).not.toBeInTheDocument();
  });

  it('asks the administrator why before a full export, and shows the refusal under the reason', async () => {
    const user = userEvent.setup();
    today.mockResolvedValue(todaySummary([pending]));
    const full = vi.mocked(api.exportDayFull);
    full.mockRejectedValueOnce(
      commandError({ code: 'invalid', message: '说明：导出完整信息须写明用途（至少2个字）', fields: [{ field: 'note', message: '说明：导出完整信息须写明用途（至少2个字）' }] }),
    );
    render(TodayList, { admin: true, onsignedout: vi.fn() });
    await user.click(await screen.findByTestId('today-export-full-open'));
    expect(screen.getByTestId('today-export-full')).toHaveTextContent('每次导出都会记录操作员和用途');
    await user.click(screen.getByTestId('today-export-full-save'));
    expect(await screen.findByTestId('error-note')).toHaveTextContent('须写明用途');
    full.mockResolvedValueOnce('/tmp/x-完整信息.xlsx');
    await user.type(screen.getByTestId('today-export-reason'), '区疾控中心流调需要{Enter}');
    expect(full).toHaveBeenLastCalledWith(expect.stringMatching(/^\d{4}-\d{2}-\d{2}$/), '区疾控中心流调需要');
    expect(await screen.findByTestId('today-exported')).toHaveTextContent('完整信息.xlsx');
    expect(screen.queryByTestId('today-export-full')).not.toBeInTheDocument();
    // The panel went with its field: the keyboard is on the button that opened it.
    await waitFor(() => expect(screen.getByTestId('today-export-full-open')).toHaveFocus());
  });

  it('searches a document number being typed only on Enter or once whole, not at each pause', async () => {
    const user = userEvent.setup();
    today.mockResolvedValue(todaySummary([pending]));
    render(TodayList, { onsignedout: vi.fn() });
    const box = await screen.findByTestId('today-search');
    await waitFor(() => expect(today).toHaveBeenCalledTimes(1));
    for (const part of ['410', '10219', '4102198505051']) {
      await user.clear(box);
      await user.type(box, part);
      await new Promise((r) => setTimeout(r, 400));
    }
    // Cleared (an empty box lists the day) but no part of the number was searched.
    expect(today.mock.calls.map((c) => c[0]).filter((q) => q !== '')).toEqual([]);
    await user.keyboard('{Enter}');
    await waitFor(() => expect(today).toHaveBeenLastCalledWith('4102198505051', undefined));
    // Two digits (an hour), the last four and the whole number search as typed.
    for (const whole of ['14', '002X', '11010519491231002X']) {
      await user.clear(box);
      await user.type(box, whole);
      await waitFor(() => expect(today).toHaveBeenLastCalledWith(whole, undefined));
    }
  });

  it('takes searches no longer than a name, and says when guessing names and numbers is too fast', async () => {
    const user = userEvent.setup();
    today.mockResolvedValue(todaySummary([pending]));
    render(TodayList, { onsignedout: vi.fn() });
    const box = await screen.findByTestId('today-search');
    expect(box).toHaveAttribute('maxlength', '80');
    const reason = '搜索：按姓名或完整证件号码搜索太频繁（每分钟最多10次、每小时最多100次），请40秒后再试，或按证件号码后四位、时间搜索';
    today.mockRejectedValueOnce(commandError({ code: 'invalid', message: reason, fields: [{ field: 'query', message: reason }] }));
    await user.type(box, '王小红{Enter}');
    expect(await screen.findByTestId('today-error')).toHaveTextContent('太频繁');
  });

  it('closes 导出完整信息 on Esc, forgetting the reason, with the keyboard back on its button', async () => {
    const user = userEvent.setup();
    today.mockResolvedValue(todaySummary([pending]));
    render(TodayList, { admin: true, onsignedout: vi.fn() });
    const open = await screen.findByTestId('today-export-full-open');
    expect(open).toHaveAttribute('aria-expanded', 'false');
    await user.click(open);
    expect(open).toHaveAttribute('aria-expanded', 'true');
    // The keyboard goes to 用途 at once.
    await waitFor(() => expect(screen.getByTestId('today-export-reason')).toHaveFocus());
    await user.keyboard('流调');
    await user.keyboard('{Escape}');
    expect(screen.queryByTestId('today-export-full')).not.toBeInTheDocument();
    expect(open).toHaveFocus();
    expect(open).toHaveAttribute('aria-expanded', 'false');
    expect(api.exportDayFull).not.toHaveBeenCalled();
    await user.click(open);
    expect(screen.getByTestId('today-export-reason')).toHaveValue('');
  });
});
