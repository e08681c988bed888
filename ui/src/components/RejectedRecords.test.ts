import { render, screen, waitFor, within } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import { beforeEach, describe, expect, it, vi } from 'vitest';

vi.mock('../lib/api');

import * as api from '../lib/api';
import { commandError, invalid, rejectedRecord, syncStatus } from '../test/fixtures';
import { mockSyncEvents, type SyncEvents } from '../test/syncEvents';
import type { SyncStatus } from '../lib/types';
import RejectedRecords from './RejectedRecords.svelte';

let events: SyncEvents;

const visit = rejectedRecord({
  id: 'rec-visit',
  kind: 'visit',
  kind_label: '登记记录',
  summary: '李** · 开封宾馆 · 14:03',
  reason: '场所：本台未获准为该场所登记',
  written_at: '2026-11-27T06:03:22Z',
});
const venueRecord = rejectedRecord({
  id: 'rec-venue',
  kind: 'venue',
  kind_label: '场所',
  summary: '鼓楼区便民超市',
  field: 'district',
  reason: '所在辖区：本台未获准在该辖区登记场所',
  written_at: '2026-11-26T01:30:00Z',
});

beforeEach(() => {
  vi.resetAllMocks();
  events = mockSyncEvents();
  vi.mocked(api.syncRejected).mockResolvedValue([visit, venueRecord]);
});

function show(props: { onstatus?: (s: SyncStatus) => void; onsignedout?: () => void } = {}) {
  return render(RejectedRecords, { onstatus: props.onstatus ?? vi.fn(), onsignedout: props.onsignedout ?? vi.fn() });
}

function row(id: string): HTMLElement {
  return screen.getAllByTestId('rejected-row').find((r) => r.dataset.id === id)!;
}

describe('RejectedRecords', () => {
  it('says when the server refused nothing', async () => {
    vi.mocked(api.syncRejected).mockResolvedValue([]);
    show();
    expect(await screen.findByTestId('rejected-empty')).toHaveTextContent('没有被中心退回的记录。');
    expect(screen.queryByRole('table')).not.toBeInTheDocument();
  });

  it('lists each refused record with its kind, summary, time (Shanghai) and reason', async () => {
    show();
    const rows = await screen.findAllByTestId('rejected-row');
    expect(rows).toHaveLength(2);
    const cells = within(rows[1]!).getAllByRole('cell').map((c) => c.textContent?.trim());
    expect(within(rows[1]!).getByRole('rowheader')).toHaveTextContent('鼓楼区便民超市');
    expect(cells.slice(0, 3)).toEqual(['场所', '2026-11-26 09:30', '所在辖区：本台未获准在该辖区登记场所']);
    expect(rows[1]).toHaveAttribute('data-field', 'district');
    expect(within(rows[0]!).getByTestId('rejected-reason')).toHaveTextContent('场所：本台未获准为该场所登记');
  });

  it('重新发送 puts the record back in the queue and reloads the list', async () => {
    const user = userEvent.setup();
    const onstatus = vi.fn();
    const after = syncStatus({ pending: 1, rejected: 1 });
    vi.mocked(api.syncRetry).mockResolvedValue(after);
    show({ onstatus });
    await screen.findAllByTestId('rejected-row');
    vi.mocked(api.syncRejected).mockResolvedValue([venueRecord]);

    await user.click(within(row('rec-visit')).getByRole('button', { name: '重新发送：李** · 开封宾馆 · 14:03' }));

    expect(api.syncRetry).toHaveBeenCalledWith('rec-visit');
    expect(onstatus).toHaveBeenCalledWith(after);
    expect(await screen.findByTestId('rejected-notice')).toHaveTextContent('已重新加入发送队列：李** · 开封宾馆 · 14:03');
    await waitFor(() => expect(screen.getAllByTestId('rejected-row')).toHaveLength(1));
    expect(api.syncRejected).toHaveBeenCalledTimes(2);
    expect(api.syncDiscard).not.toHaveBeenCalled();
  });

  it('放弃 needs a note: an empty one is refused here, without asking the backend', async () => {
    const user = userEvent.setup();
    show();
    await screen.findAllByTestId('rejected-row');
    await user.click(within(row('rec-visit')).getByTestId('rejected-discard'));
    expect(screen.getByTestId('rejected-note')).toHaveFocus();

    await user.keyboard('   {Enter}');
    expect(await screen.findByTestId('error-note')).toHaveTextContent('放弃原因：请填写');
    expect(screen.getByTestId('rejected-note')).toHaveFocus();
    expect(api.syncDiscard).not.toHaveBeenCalled();
  });

  it('放弃 with a note discards the record (Enter) and reloads the list', async () => {
    const user = userEvent.setup();
    const onstatus = vi.fn();
    const after = syncStatus({ rejected: 1 });
    vi.mocked(api.syncDiscard).mockResolvedValue(after);
    show({ onstatus });
    await screen.findAllByTestId('rejected-row');
    vi.mocked(api.syncRejected).mockResolvedValue([visit]);

    await user.click(within(row('rec-venue')).getByTestId('rejected-discard'));
    expect(within(row('rec-venue')).getByTestId('rejected-discard')).toHaveAttribute('aria-expanded', 'true');
    expect(screen.getByTestId('rejected-note')).toHaveAttribute('maxlength', '200');
    await user.keyboard(' 重复登记，已与中心核实 {Enter}');

    expect(api.syncDiscard).toHaveBeenCalledWith('rec-venue', '重复登记，已与中心核实');
    expect(onstatus).toHaveBeenCalledWith(after);
    expect(await screen.findByTestId('rejected-notice')).toHaveTextContent('已放弃：鼓楼区便民超市');
    await waitFor(() => expect(screen.getAllByTestId('rejected-row').map((r) => r.dataset.id)).toEqual(['rec-visit']));
    expect(screen.queryByTestId('rejected-note')).not.toBeInTheDocument();
  });

  it('shows the backend’s reason for the note under it', async () => {
    const user = userEvent.setup();
    vi.mocked(api.syncDiscard).mockRejectedValue(invalid('note', '放弃原因：不能超过200个字（现为201个）'));
    show();
    await screen.findAllByTestId('rejected-row');
    await user.click(within(row('rec-visit')).getByTestId('rejected-discard'));
    await user.keyboard('重复{Enter}');
    expect(await screen.findByTestId('error-note')).toHaveTextContent('放弃原因：不能超过200个字（现为201个）');
    expect(screen.getAllByTestId('rejected-row')).toHaveLength(2);
  });

  it('Esc closes the note without discarding', async () => {
    const user = userEvent.setup();
    show();
    await screen.findAllByTestId('rejected-row');
    const discard = within(row('rec-visit')).getByTestId('rejected-discard');
    await user.click(discard);
    await user.keyboard('重复{Escape}');
    expect(screen.queryByTestId('rejected-note')).not.toBeInTheDocument();
    expect(discard).toHaveFocus();
    expect(api.syncDiscard).not.toHaveBeenCalled();
  });

  it('更正 corrects the refused text field: Enter sends it, the backend’s reason stays under it, Esc leaves it', async () => {
    const user = userEvent.setup();
    const crew = rejectedRecord({
      id: 'rec-crew',
      kind: 'truck_trip',
      kind_label: '货车入口',
      summary: '豫B12345 · 孙**',
      field: 'crew.0.origin',
      reason: '来源地：含有不允许的字符“<”',
      correctable: true,
    });
    vi.mocked(api.syncRejected).mockResolvedValue([crew, venueRecord]);
    show();
    await screen.findAllByTestId('rejected-row');
    // Only a text field can be corrected here.
    expect(within(row('rec-venue')).queryByTestId('rejected-correct')).toBeNull();
    await user.click(within(row('rec-crew')).getByTestId('rejected-correct'));
    const box = screen.getByTestId('rejected-value');
    expect(box).toHaveFocus();
    expect(screen.getByLabelText('来源地（更正后重新发送）')).toBe(box);
    // Nothing typed: asked here, the backend is not called.
    await user.keyboard('{Enter}');
    expect(api.syncCorrect).not.toHaveBeenCalled();
    expect(screen.getByTestId('error-value')).toHaveTextContent('请填写更正后的内容');
    vi.mocked(api.syncCorrect).mockRejectedValueOnce(invalid('value', '来源地：含有不允许的字符“>”'));
    await user.type(box, '郑州>{Enter}');
    expect(api.syncCorrect).toHaveBeenCalledWith('rec-crew', '郑州>');
    await waitFor(() => expect(screen.getByTestId('error-value')).toHaveTextContent('来源地：含有不允许的字符“>”'));
    await user.keyboard('{Escape}');
    expect(screen.queryByTestId('rejected-value')).toBeNull();
    expect(within(row('rec-crew')).getByTestId('rejected-correct')).toHaveFocus();
    // Corrected, and the next member refused for the same: its box opens at once.
    vi.mocked(api.syncCorrect).mockResolvedValueOnce(syncStatus());
    const next = { ...crew, field: 'crew.1.origin', reason: '来源地：含有不允许的字符“:”' };
    vi.mocked(api.syncRejected).mockResolvedValueOnce([next, venueRecord]);
    await user.keyboard('{Enter}');
    await user.type(screen.getByTestId('rejected-value'), '郑州市{Enter}');
    expect(api.syncCorrect).toHaveBeenLastCalledWith('rec-crew', '郑州市');
    expect(await screen.findByTestId('rejected-notice')).toHaveTextContent('该记录还有一项需更正：来源地：含有不允许的字符“:”');
    await waitFor(() => expect(screen.getByTestId('rejected-value')).toHaveFocus());
    // The last one: the list is asked again and the record has gone to the queue.
    vi.mocked(api.syncCorrect).mockResolvedValueOnce(syncStatus());
    vi.mocked(api.syncRejected).mockResolvedValueOnce([venueRecord]);
    await user.type(screen.getByTestId('rejected-value'), '郑州市{Enter}');
    expect(await screen.findByTestId('rejected-notice')).toHaveTextContent('已更正并重新加入发送队列：豫B12345 · 孙**');
  });

  it('shows a failed retry', async () => {
    const user = userEvent.setup();
    vi.mocked(api.syncRetry).mockRejectedValue(commandError({ code: 'not_found', message: '没有这条被退回的记录' }));
    show();
    await screen.findAllByTestId('rejected-row');
    await user.click(within(row('rec-visit')).getByTestId('rejected-retry'));
    expect(await screen.findByTestId('rejected-error')).toHaveTextContent('没有这条被退回的记录');
  });

  it('reloads when an event brings a different count of refused records, not for the same count', async () => {
    show();
    await screen.findAllByTestId('rejected-row');
    expect(api.syncRejected).toHaveBeenCalledTimes(1);

    events.emit(syncStatus({ rejected: 2, pending: 5, progress: { done: 1, total: 5 } }));
    await new Promise((r) => setTimeout(r, 0));
    expect(api.syncRejected).toHaveBeenCalledTimes(1);

    vi.mocked(api.syncRejected).mockResolvedValue([visit, venueRecord, rejectedRecord({ id: 'rec-new' })]);
    events.emit(syncStatus({ rejected: 3 }));
    await waitFor(() => expect(screen.getAllByTestId('rejected-row')).toHaveLength(3));
    expect(api.syncRejected).toHaveBeenCalledTimes(2);
  });

  it('stops listening when it goes away', async () => {
    const { unmount } = show();
    await screen.findAllByTestId('rejected-row');
    expect(events.listening()).toBe(1);
    unmount();
    expect(events.unlisten).toHaveBeenCalledTimes(1);
    expect(events.listening()).toBe(0);
  });

  it('reports signed_out', async () => {
    const onsignedout = vi.fn();
    vi.mocked(api.syncRejected).mockRejectedValue(commandError({ code: 'signed_out', message: '请先登录' }));
    show({ onsignedout });
    await waitFor(() => expect(onsignedout).toHaveBeenCalledTimes(1));
  });
});
