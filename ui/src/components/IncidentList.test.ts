import { render, screen, waitFor, within } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import { beforeEach, describe, expect, it, vi } from 'vitest';

vi.mock('../lib/api');

import * as api from '../lib/api';
import { commandError, incident } from '../test/fixtures';
import IncidentList from './IncidentList.svelte';

const advanceIncident = vi.mocked(api.advanceIncident);

const open = incident({
  id: 'i-open',
  colour: 'red',
  masked_name: '赵**',
  masked_id: '410***********1234',
  reason: '风险名单：密切接触者',
  held_at: '东门临时隔离区',
  reported_to: '所在社区',
  status: 'isolated',
  sync_state: 'pending',
});
const reported = incident({ id: 'i-reported', colour: 'yellow', masked_name: '钱*', status: 'reported', sync_state: 'synced' });
const closed = incident({ id: 'i-closed', masked_name: '孙*', status: 'handed_over', sync_state: 'synced' });

beforeEach(() => {
  vi.resetAllMocks();
  vi.mocked(api.incidents).mockResolvedValue([open, reported, closed]);
});

function row(id: string): HTMLElement {
  const found = screen.getAllByTestId('incident-row').find((r) => r.dataset.incidentId === id);
  if (!found) throw new Error(`no row ${id}`);
  return found;
}

describe('IncidentList', () => {
  it('lists the incidents with their details, status and sync state', async () => {
    render(IncidentList, { onsignedout: vi.fn() });
    expect(await screen.findAllByTestId('incident-row')).toHaveLength(3);
    expect(screen.getByTestId('incidents-count')).toHaveTextContent('未闭环 2 起，共 3 起');

    const r = within(row('i-open'));
    for (const text of ['赵**', '410***********1234', '红码', '风险名单：密切接触者', '东门临时隔离区', '所在社区', '张敏']) {
      expect(r.getByText(text)).toBeInTheDocument();
    }
    expect(r.getByTestId('incident-status')).toHaveTextContent('临时隔离');
    expect(r.getByTestId('incident-sync')).toHaveTextContent('待上报中心');
    expect(within(row('i-reported')).getByTestId('incident-status')).toHaveTextContent('已上报');
    expect(within(row('i-closed')).getByTestId('incident-status')).toHaveTextContent('已闭环转运');
    expect(within(row('i-closed')).getByTestId('incident-sync')).toHaveTextContent('中心已收到');
  });

  it('moves an incident one step on, and none past 已闭环转运', async () => {
    const user = userEvent.setup();
    advanceIncident.mockResolvedValue({ ...open, status: 'reported', sync_state: 'pending' });
    render(IncidentList, { onsignedout: vi.fn() });
    await screen.findAllByTestId('incident-row');

    expect(within(row('i-closed')).queryByTestId('incident-advance')).not.toBeInTheDocument();
    expect(within(row('i-reported')).getByTestId('incident-advance')).toHaveTextContent('标记为已闭环转运');
    const button = within(row('i-open')).getByTestId('incident-advance');
    expect(button).toHaveTextContent('标记为已上报');

    // A click asks what was done; a stray Enter on an empty note is the backend's to refuse.
    await user.click(button);
    expect(advanceIncident).not.toHaveBeenCalled();
    expect(within(row('i-open')).getByTestId('incident-step-note')).toHaveFocus();
    await user.keyboard('已电话告知西司门社区{Enter}');

    expect(advanceIncident).toHaveBeenCalledWith('i-open', 'reported', '已电话告知西司门社区');
    await waitFor(() => expect(within(row('i-open')).getByTestId('incident-status')).toHaveTextContent('已上报'));
    expect(within(row('i-open')).getByTestId('incident-advance')).toHaveTextContent('标记为已闭环转运');
    expect(screen.getByTestId('incidents-notice')).toHaveTextContent('赵**：已更新为“已上报”');
  });

  it('shows a refused step', async () => {
    const user = userEvent.setup();
    advanceIncident.mockRejectedValue(
      commandError({ code: 'invalid', message: '状态只能向前推进', fields: [{ field: 'status', message: '状态只能向前推进' }] }),
    );
    render(IncidentList, { onsignedout: vi.fn() });
    await screen.findAllByTestId('incident-row');
    await user.click(within(row('i-open')).getByTestId('incident-advance'));
    await user.keyboard('已上报{Enter}');
    expect(await screen.findByTestId('incidents-error')).toHaveTextContent('状态只能向前推进');
  });

  it('reports signed_out', async () => {
    const user = userEvent.setup();
    advanceIncident.mockRejectedValue(commandError({ code: 'signed_out', message: '请先登录' }));
    const onsignedout = vi.fn();
    render(IncidentList, { onsignedout });
    await screen.findAllByTestId('incident-row');
    await user.click(within(row('i-open')).getByTestId('incident-advance'));
    await user.click(within(row('i-open')).getByTestId('incident-step-confirm'));
    await waitFor(() => expect(onsignedout).toHaveBeenCalledTimes(1));
  });

  it('Esc on the note takes no step', async () => {
    const user = userEvent.setup();
    render(IncidentList, { onsignedout: vi.fn() });
    await screen.findAllByTestId('incident-row');
    await user.click(within(row('i-open')).getByTestId('incident-advance'));
    await user.keyboard('已上报{Escape}');
    expect(within(row('i-open')).queryByTestId('incident-step')).not.toBeInTheDocument();
    expect(within(row('i-open')).getByTestId('incident-advance')).toHaveFocus();
    expect(advanceIncident).not.toHaveBeenCalled();
  });

  it('says when there is nothing to handle', async () => {
    vi.mocked(api.incidents).mockResolvedValue([]);
    render(IncidentList, { onsignedout: vi.fn() });
    expect(await screen.findByText('暂无异常记录。')).toBeInTheDocument();
  });
});

describe('IncidentList follows the syncs', () => {
  it('says 中心已收到 once a sync has sent the report, without leaving the screen', async () => {
    const { mockSyncEvents } = await import('../test/syncEvents');
    const { syncStatus } = await import('../test/fixtures');
    const events = mockSyncEvents();
    vi.mocked(api.incidents).mockResolvedValueOnce([open]);
    render(IncidentList, { onsignedout: vi.fn() });
    expect(await screen.findByTestId('incident-sync')).toHaveTextContent('待上报中心');
    await waitFor(() => expect(events.listening()).toBe(1));
    vi.mocked(api.incidents).mockResolvedValue([{ ...open, sync_state: 'synced' }]);
    const waiting = syncStatus({ pending: 1, last_ok_at: '2026-11-27T06:00:00Z' });
    events.emit(waiting);
    events.emit({ ...waiting, syncing: true });
    events.emit({ ...waiting, pending: 0, last_ok_at: '2026-11-27T06:00:05Z' });
    await waitFor(() => expect(screen.getByTestId('incident-sync')).toHaveTextContent('中心已收到'));
  });
});
