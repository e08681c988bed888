import { render, screen, waitFor, within } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import { beforeEach, describe, expect, it, vi } from 'vitest';

vi.mock('../lib/api');

import * as api from '../lib/api';
import { arrival, commandError, crewMember, trip, tripBoard } from '../test/fixtures';
import TruckDestination from './TruckDestination.svelte';

const truckRecordArrival = vi.mocked(api.truckRecordArrival);
const truckBoard = vi.mocked(api.truckBoard);

beforeEach(() => {
  vi.resetAllMocks();
  truckBoard.mockResolvedValue(tripBoard());
});

function renderDesk() {
  const onsignedout = vi.fn();
  render(TruckDestination, { onsignedout });
  return { onsignedout };
}

const box = () => screen.getByTestId('truck-arrival-input');

describe('TruckDestination: recording an arrival', () => {
  it('closes the trip of a plate entered at a checkpoint, and is ready for the next truck', async () => {
    const user = userEvent.setup();
    truckRecordArrival.mockResolvedValue(
      arrival({
        plate: '豫B12345',
        trip: trip({ plate: '豫B12345', checkpoint_name: '兰考收费站卡口', status: 'closed' }),
        flagged: false,
      }),
    );
    renderDesk();
    expect(screen.getByTestId('truck-destination-desk')).toBeInTheDocument();
    expect(box()).toHaveAttribute('data-autofocus');

    await user.type(box(), ' 豫B12345 {Enter}');

    expect(truckRecordArrival).toHaveBeenCalledWith('豫B12345');
    expect(await screen.findByTestId('truck-arrival-matched')).toHaveTextContent(
      '已闭环：豫B12345，来自兰考收费站卡口，入口登记于 2026-11-27 14:03',
    );
    expect(screen.queryByTestId('truck-arrival-flagged')).not.toBeInTheDocument();
    expect(box()).toHaveValue('');
    expect(box()).toHaveFocus();
    await waitFor(() => expect(truckBoard).toHaveBeenCalledTimes(2));
  });

  it('flags a truck with no entry recorded at a checkpoint', async () => {
    const user = userEvent.setup();
    truckRecordArrival.mockResolvedValue(arrival({ plate: '豫E55555', trip: null, flagged: true }));
    renderDesk();

    await user.type(box(), '410202199003070014{Enter}');

    expect(truckRecordArrival).toHaveBeenCalledWith('410202199003070014');
    expect(await screen.findByTestId('truck-arrival-flagged')).toHaveTextContent(
      '豫E55555：本场所没有该车的入口登记（可能去往其他目的地，或卡口记录尚未同步）。到达已记录并报中心核实，请核对车辆去向。',
    );
    expect(screen.queryByTestId('truck-arrival-matched')).not.toBeInTheDocument();
  });

  it('flags a truck the checkpoint had turned back, saying when and why', async () => {
    const user = userEvent.setup();
    const back = trip({
      plate: '豫B22222',
      status: 'turned_back',
      resolved_at: '2026-11-27T06:00:00Z',
      resolution_note: '入口劝返:司乘人员有红码,已上报',
    });
    truckRecordArrival.mockResolvedValue(arrival({ plate: '豫B22222', trip: back, flagged: true }));
    renderDesk();
    await user.type(box(), '豫B22222{Enter}');
    expect(await screen.findByTestId('truck-arrival-flagged')).toHaveTextContent(
      '豫B22222：该车已于 2026-11-27 14:00 被卡口劝返（入口劝返:司乘人员有红码,已上报），到达已标记并上报中心',
    );
  });

  it('does nothing on Enter in an empty box', async () => {
    const user = userEvent.setup();
    renderDesk();
    await user.type(box(), '  {Enter}');
    expect(truckRecordArrival).not.toHaveBeenCalled();
  });

  it('shows a bad plate under the box, keeping what was typed', async () => {
    const user = userEvent.setup();
    truckRecordArrival.mockRejectedValue(
      commandError({ code: 'invalid', message: '车牌号：不是有效的车牌号', fields: [{ field: 'query', message: '车牌号：不是有效的车牌号' }] }),
    );
    renderDesk();
    await user.type(box(), '豫Z{Enter}');
    expect(await screen.findByTestId('error-query')).toHaveTextContent('车牌号：不是有效的车牌号');
    expect(box()).toHaveValue('豫Z');
    expect(box()).toHaveFocus();
  });

  it('returns to sign-in when the desk is found signed out', async () => {
    const user = userEvent.setup();
    truckRecordArrival.mockRejectedValue(commandError({ code: 'signed_out', message: '请先登录' }));
    const { onsignedout } = renderDesk();
    await user.type(box(), '豫B12345{Enter}');
    await waitFor(() => expect(onsignedout).toHaveBeenCalledTimes(1));
  });
});

describe('TruckDestination: the lists', () => {
  it('lists the trips expected here, today’s arrivals with the flagged ones marked, and the closed trips', async () => {
    truckBoard.mockResolvedValue(
      tripBoard({
        expected_arrivals: [
          trip({ id: 't-1', plate: '豫B12345', checkpoint_name: '兰考收费站卡口', crew: [crewMember({ name_masked: '赵*' }), crewMember({ name_masked: '钱*' })], sync_state: 'pending' }),
          trip({ id: 't-2', plate: '鲁R67890', checkpoint_name: '尉氏收费站卡口', sync_state: 'synced' }),
        ],
        arrivals_today: [
          arrival({ id: 'a-1', plate: '豫C11111', at: '2026-11-27T02:05:00Z', trip: trip({ plate: '豫C11111', checkpoint_name: '兰考收费站卡口', status: 'closed' }) }),
          arrival({ id: 'a-2', plate: '豫E55555', at: '2026-11-27T03:40:00Z', trip: null, flagged: true }),
        ],
        closed: [trip({ id: 't-9', plate: '豫C11111', status: 'closed', arrived_at: '2026-11-27T02:05:00Z', sync_state: 'synced' })],
      }),
    );
    renderDesk();

    const expected = await screen.findByTestId('truck-expected');
    const rows = within(expected).getAllByTestId('truck-expected-row');
    expect(rows).toHaveLength(2);
    expect(rows[0]).toHaveTextContent('豫B12345');
    expect(within(rows[0]!).getByTestId('trip-checkpoint')).toHaveTextContent('兰考收费站卡口');
    expect(within(rows[0]!).getByTestId('trip-entered')).toHaveTextContent('2026-11-27 14:03');
    expect(within(rows[0]!).getByTestId('trip-crew')).toHaveTextContent('赵*、钱*');
    expect(within(rows[0]!).getByTestId('trip-sync')).toHaveTextContent('未同步');
    expect(within(rows[1]!).getByTestId('trip-sync')).toHaveTextContent('已同步');
    expect(screen.getByTestId('truck-expected-count')).toHaveTextContent('2');

    const arrivals = within(screen.getByTestId('truck-arrivals')).getAllByTestId('truck-arrival-row');
    expect(arrivals.map((r) => r.dataset.flagged)).toEqual(['false', 'true']);
    expect(arrivals[0]).toHaveTextContent('10:05');
    expect(arrivals[0]).toHaveTextContent('兰考收费站卡口');
    expect(within(arrivals[0]!).queryByTestId('truck-arrival-flag')).not.toBeInTheDocument();
    expect(arrivals[1]).toHaveTextContent('11:40');
    expect(within(arrivals[1]!).getByTestId('truck-arrival-flag')).toHaveTextContent('无入口登记');

    const closed = within(screen.getByTestId('truck-closed')).getByTestId('truck-closed-row');
    expect(within(closed).getByTestId('trip-arrived')).toHaveTextContent('2026-11-27 10:05');
  });

  it('says so when nothing is expected, arrived or closed', async () => {
    renderDesk();
    expect(await screen.findByTestId('truck-expected')).toHaveTextContent('没有预计到达的车辆。');
    expect(screen.getByTestId('truck-arrivals')).toHaveTextContent('今天还没有车辆到达。');
    expect(screen.getByTestId('truck-closed')).toHaveTextContent('还没有已闭环的行程。');
  });

  it('returns to sign-in when the board finds the desk signed out', async () => {
    truckBoard.mockRejectedValue(commandError({ code: 'signed_out', message: '请先登录' }));
    const { onsignedout } = renderDesk();
    await waitFor(() => expect(onsignedout).toHaveBeenCalledTimes(1));
  });
});
