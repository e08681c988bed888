import { render, screen, waitFor, within } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

vi.mock('../lib/api');

import * as api from '../lib/api';
import { BOARD_REFRESH_MS } from '../lib/tripBoard.svelte';
import {
  commandError,
  crewMember,
  destination,
  incident,
  invalid,
  syncStatus,
  operator,
  predeclaration,
  result,
  trip,
  tripBoard,
  truckMember,
} from '../test/fixtures';
import type { Operator, TripInput } from '../lib/types';
import TruckCheckpoint from './TruckCheckpoint.svelte';
import { mockSyncEvents } from '../test/syncEvents';

const truckFindCrew = vi.mocked(api.truckFindCrew);
const truckOpenTrip = vi.mocked(api.truckOpenTrip);
const truckBoard = vi.mocked(api.truckBoard);
const truckSetOverdueHours = vi.mocked(api.truckSetOverdueHours);
const reportIncident = vi.mocked(api.reportIncident);

const wantong = destination({ id: 'dest-1', name: '开封市万通物流有限公司', address: '祥符区物流园区8号' });
const dingsheng = destination({ id: 'dest-2', name: '开封市鼎盛化工有限公司', address: '龙亭区化工路2号' });

const clerk = operator({ id: 'op-2', name: '李娜', is_admin: false });
const admin = operator({ id: 'op-1', name: '张敏', is_admin: true });

beforeEach(() => {
  vi.resetAllMocks();
  truckBoard.mockResolvedValue(tripBoard());
  vi.mocked(api.truckDestinations).mockImplementation(async (q) =>
    [wantong, dingsheng].filter((d) => d.name.includes(q.trim())),
  );
});

afterEach(() => {
  vi.useRealTimers();
});

function renderCheckpoint(op: Operator = clerk) {
  const onsignedout = vi.fn();
  const utils = render(TruckCheckpoint, { operator: op, onsignedout });
  return { ...utils, onsignedout };
}

const $ = (testid: string) => screen.getByTestId(testid);

/** Picks a destination by typing its name and taking the highlighted option with Enter. */
async function pickDestination(user: ReturnType<typeof userEvent.setup>, typed: string): Promise<void> {
  await user.click($('truck-destination'));
  await user.keyboard(typed);
  await waitFor(() => expect(screen.getAllByTestId('truck-destination-option')).toHaveLength(1));
  await user.keyboard('{Enter}');
}

function sent(): TripInput {
  expect(truckOpenTrip).toHaveBeenCalledTimes(1);
  return truckOpenTrip.mock.calls[0]![0];
}

describe('TruckCheckpoint: from a phone pre-declaration to an open trip', () => {
  it('finds the crew, confirms in one action, takes the destination and opens the trip', async () => {
    const user = userEvent.setup();
    const pre = predeclaration({
      id: 'pre-1',
      plate: '豫B12345',
      crew: [truckMember(), truckMember({ name: '钱伟', document_number: '410203198805050011', phone: '13912345678' })],
    });
    truckFindCrew.mockResolvedValue({ predeclarations: [pre], previous: [], open_trip: null, turned_back: null, left_out: [] });
    const opened = trip({ plate: '豫B12345', destination_name: wantong.name, crew: [crewMember(), crewMember({ name_masked: '钱*' })] });
    truckOpenTrip.mockResolvedValue({ trip: opened, results: [result(), result()] });
    renderCheckpoint();
    expect($('truck-checkpoint')).toBeInTheDocument();
    expect($('truck-find')).toHaveAttribute('data-autofocus');

    await user.type($('truck-find'), '豫B12345{Enter}');

    expect(truckFindCrew).toHaveBeenCalledWith('豫B12345');
    const item = await screen.findByTestId('truck-predeclaration');
    expect(item).toHaveTextContent('豫B12345');
    // Masked (R12), in the order declared.
    expect(within(item).getByTestId('truck-predeclaration-names')).toHaveTextContent('赵*、钱*');
    expect(item).not.toHaveTextContent('赵强');
    expect(item).toHaveTextContent('申报于 2026-11-27 14:03');
    // One action: the confirm button has the focus, Enter takes it.
    expect(within(item).getByTestId('truck-confirm-predeclaration')).toHaveFocus();
    await user.keyboard('{Enter}');

    expect($('truck-plate')).toHaveValue('豫B12345');
    expect(screen.getAllByTestId('truck-member')).toHaveLength(2);
    expect($('crew-0-name')).toHaveValue('赵强');
    expect($('crew-1-name')).toHaveValue('钱伟');
    expect($('crew-1-phone')).toHaveValue('13912345678');
    expect($('crew-0-document-kind')).toHaveValue('resident_id');
    expect($('truck-notice')).toHaveTextContent('已带入豫B12345的2名司乘人员');
    expect(screen.queryByTestId('truck-predeclaration')).not.toBeInTheDocument();
    // The destination is what is missing: the focus waits there.
    expect($('truck-destination')).toHaveFocus();

    await user.keyboard('万通');
    await waitFor(() => expect(screen.getAllByTestId('truck-destination-option')).toHaveLength(1));
    await user.keyboard('{Enter}');
    expect($('truck-destination')).toHaveValue(wantong.name);
    expect($('truck-destination-chosen')).toHaveTextContent('已选：开封市万通物流有限公司（祥符区物流园区8号）');
    expect(truckOpenTrip).not.toHaveBeenCalled();

    await user.keyboard('{Enter}');

    expect(sent()).toEqual({
      plate: '豫B12345',
      crew: [
        { ...truckMember(), document_kind: 'resident_id' },
        {
          ...truckMember({ name: '钱伟', document_number: '410203198805050011', phone: '13912345678' }),
          document_kind: 'resident_id',
        },
      ],
      pass_number: '',
      destination_id: 'dest-1',
      predeclaration_id: 'pre-1',
      turned_back_checked: false,
    });
    await waitFor(() =>
      expect($('truck-notice')).toHaveTextContent('已登记入口：豫B12345 → 开封市万通物流有限公司，司乘2人。'),
    );
    // Ready for the next truck.
    expect($('truck-plate')).toHaveValue('');
    expect($('truck-destination')).toHaveValue('');
    expect(screen.getAllByTestId('truck-member')).toHaveLength(1);
    expect($('crew-0-name')).toHaveValue('');
    expect($('truck-find')).toHaveFocus();
    expect(screen.queryByTestId('result-screen')).not.toBeInTheDocument();
    // The board is asked again after the trip opened.
    await waitFor(() => expect(truckBoard).toHaveBeenCalledTimes(2));
    // 通行单 for the truck just entered: saved, then opened to print.
    vi.mocked(api.truckTripSlip).mockResolvedValue('/tmp/货车通行单-豫B12345.pdf');
    await user.click($('truck-notice-slip'));
    expect(api.truckTripSlip).toHaveBeenCalledWith(opened.id);
    await waitFor(() => expect($('truck-notice')).toHaveTextContent('豫B12345 的货车通行单已保存：/tmp/货车通行单-豫B12345.pdf'));
    await user.click($('truck-open-slip'));
    expect(api.openFile).toHaveBeenCalledWith('/tmp/货车通行单-豫B12345.pdf');
  });

  it('prints the 通行单 of a trip in transit from the board, and says why one cannot be printed', async () => {
    const user = userEvent.setup();
    const open = trip({ id: 'trip-9', plate: '豫C67890', status: 'open' });
    truckBoard.mockResolvedValue(tripBoard({ open: [open] }));
    vi.mocked(api.truckTripSlip).mockRejectedValueOnce(
      commandError({ code: 'invalid', message: '只能为在途的行程打印通行单（该行程已到达、待处置或已结束）' }),
    );
    renderCheckpoint();
    const row = await screen.findByTestId('truck-open-row');
    await user.click(within(row).getByTestId('trip-slip'));
    expect(api.truckTripSlip).toHaveBeenCalledWith('trip-9');
    await waitFor(() => expect($('truck-notice')).toHaveTextContent('只能为在途的行程打印通行单'));
    expect(screen.queryByTestId('truck-open-slip')).not.toBeInTheDocument();
  });

  it('keeps a destination already picked when a pre-declaration is confirmed, and goes to the crew', async () => {
    const user = userEvent.setup();
    truckFindCrew.mockResolvedValue({ predeclarations: [predeclaration({ id: 'pre-2' })], previous: [], open_trip: null, turned_back: null, left_out: [] });
    renderCheckpoint();
    await pickDestination(user, '鼎盛');

    await user.type($('truck-find'), '豫B12345{Enter}');
    await user.click(await screen.findByTestId('truck-confirm-predeclaration'));

    expect($('truck-destination')).toHaveValue(dingsheng.name);
    expect($('crew-0-name')).toHaveFocus();
  });

  it('takes the destination the crew declared on the phone, and goes to the crew', async () => {
    const user = userEvent.setup();
    truckFindCrew.mockResolvedValue({ predeclarations: [predeclaration({ destination: dingsheng })], previous: [], open_trip: null, turned_back: null, left_out: [] });
    renderCheckpoint();

    await user.type($('truck-find'), '豫B12345{Enter}');
    await user.click(await screen.findByTestId('truck-confirm-predeclaration'));

    expect($('truck-destination')).toHaveValue(dingsheng.name);
    expect($('crew-0-name')).toHaveFocus();
  });

  it('brings the previous crew of a returning truck, asking the health questions and times again', async () => {
    const user = userEvent.setup();
    truckFindCrew.mockResolvedValue({
      predeclarations: [],
      previous: [truckMember({ symptoms: true, expected_departure: '2026-10-01', document_kind: 'passport', document_number: 'E12345678' })],
      open_trip: null,
      turned_back: null,
      left_out: [],
    });
    renderCheckpoint();

    await user.type($('truck-find'), '豫B12345{Enter}');
    expect(await screen.findByTestId('truck-previous')).toHaveTextContent('赵*');
    await user.click($('truck-use-previous'));

    expect($('truck-plate')).toHaveValue('豫B12345');
    expect($('crew-0-name')).toHaveValue('赵强');
    expect($('crew-0-document-kind')).toHaveValue('passport');
    expect($('crew-0-document-number')).toHaveValue('E12345678');
    // Asked again, not carried over: nothing chosen.
    expect($('crew-0-symptoms')).toHaveAttribute('aria-checked', 'mixed');
    expect($('crew-0-expected-departure')).toHaveValue('');
    expect($('truck-destination')).toHaveFocus();
  });

  it('says when nobody declared the plate, and puts the plate in the form', async () => {
    const user = userEvent.setup();
    truckFindCrew.mockResolvedValue({ predeclarations: [], previous: [], open_trip: null, turned_back: null, left_out: [] });
    renderCheckpoint();

    await user.type($('truck-find'), '豫c54321{Enter}');

    expect(await screen.findByTestId('truck-notice')).toHaveTextContent('没有找到“豫c54321”的预申报或上次登记，请直接填写。');
    expect($('truck-plate')).toHaveValue('豫C54321');
    // The form takes over at the first thing still to fill.
    await waitFor(() => expect($('truck-destination')).toHaveFocus());
  });

  it('puts a document number nobody declared in the driver’s 证件号, and the driver’s trip facts in a passenger’s', async () => {
    const user = userEvent.setup();
    truckFindCrew.mockResolvedValue({ predeclarations: [], previous: [], open_trip: null, turned_back: null, left_out: [] });
    renderCheckpoint();

    await user.type($('truck-find'), '41020319900101123x{Enter}');
    await screen.findByTestId('truck-notice');
    expect($('crew-0-document-number')).toHaveValue('41020319900101123X');
    expect($('truck-plate')).toHaveValue('');
    await waitFor(() => expect($('truck-plate')).toHaveFocus());
    await user.type($('crew-0-origin'), '郑州');
    await user.type($('crew-0-entry-point'), '开封东');
    await user.click(screen.getByTestId('truck-add-member'));
    expect($('crew-1-origin')).toHaveValue('郑州');
    expect($('crew-1-entry-point')).toHaveValue('开封东');
    expect($('crew-1-name')).toHaveValue('');
  });

  it('shows a bad plate or number under the find box', async () => {
    const user = userEvent.setup();
    truckFindCrew.mockRejectedValue(
      commandError({ code: 'invalid', message: '请输入车牌号或证件号', fields: [{ field: 'query', message: '请输入车牌号或证件号' }] }),
    );
    renderCheckpoint();
    await user.type($('truck-find'), 'xx{Enter}');
    expect(await screen.findByTestId('error-query')).toHaveTextContent('请输入车牌号或证件号');
    expect($('truck-find')).toHaveAttribute('aria-invalid', 'true');
  });
});

describe('TruckCheckpoint: the entry form', () => {
  it('registers a crew of three: the driver and two passengers added with the button and Alt+N', async () => {
    const user = userEvent.setup();
    truckOpenTrip.mockResolvedValue({ trip: trip({ crew: [crewMember(), crewMember(), crewMember()] }), results: [] });
    renderCheckpoint();

    expect(screen.getAllByTestId('truck-member')).toHaveLength(1);
    expect(screen.getByRole('group', { name: '司机' })).toBeInTheDocument();
    // The driver cannot be removed.
    expect(screen.queryByTestId('truck-remove-member')).not.toBeInTheDocument();

    await user.type($('truck-plate'), '豫B12345');
    await user.type($('truck-pass'), 'HN2026001');
    await user.type($('crew-0-name'), '赵强');
    await user.type($('crew-0-document-number'), '410202199003070014');
    await user.click($('truck-add-member'));
    expect($('crew-1-name')).toHaveFocus();
    await user.keyboard('钱伟');
    await user.click(within($('crew-1-symptoms')).getByText('是'));
    await user.keyboard('{Alt>}n{/Alt}');
    expect($('crew-2-name')).toHaveFocus();
    await user.keyboard('Chan Tai Man');
    await user.selectOptions($('crew-2-document-kind'), 'hk_macao_permit');
    await user.type($('crew-2-document-number'), 'H12345678');
    await user.type($('crew-2-expected-departure'), '2026-11-28 18:00');
    expect(screen.getByRole('group', { name: '随车人员2' })).toBeInTheDocument();
    expect(screen.getAllByTestId('truck-remove-member')).toHaveLength(2);
    await pickDestination(user, '万通');

    await user.click($('truck-open'));

    const input = sent();
    expect(input.plate).toBe('豫B12345');
    expect(input.pass_number).toBe('HN2026001');
    expect(input.destination_id).toBe('dest-1');
    expect(input.predeclaration_id).toBeNull();
    expect(input.crew.map((m) => m.name)).toEqual(['赵强', '钱伟', 'Chan Tai Man']);
    // Each member's plate is the trip's.
    expect(input.crew.map((m) => m.plate)).toEqual(['豫B12345', '豫B12345', '豫B12345']);
    // Unanswered questions go as unanswered (the backend names them); answered ones as given.
    expect(input.crew.map((m) => m.symptoms)).toEqual([null, true, null]);
    expect(input.crew.map((m) => m.document_kind)).toEqual(['resident_id', 'resident_id', 'hk_macao_permit']);
    expect(input.crew[2]).toMatchObject({ document_number: 'H12345678', expected_departure: '2026-11-28 18:00' });
  });

  it('submits with Enter from the document kind and the yes/no questions too', async () => {
    const user = userEvent.setup();
    truckOpenTrip.mockResolvedValue({ trip: trip(), results: [] });
    renderCheckpoint();
    $('crew-0-document-kind').focus();
    await user.keyboard('{Enter}');
    expect(truckOpenTrip).toHaveBeenCalledTimes(1);
    $('crew-0-risk-area').focus();
    await user.keyboard('{Enter}');
    await waitFor(() => expect(truckOpenTrip).toHaveBeenCalledTimes(2));
  });

  it('removes a passenger, keeping what the others typed', async () => {
    const user = userEvent.setup();
    truckOpenTrip.mockResolvedValue({ trip: trip(), results: [] });
    renderCheckpoint();
    await user.type($('crew-0-name'), '赵强');
    await user.click($('truck-add-member'));
    await user.keyboard('钱伟');
    await user.click($('truck-add-member'));
    await user.keyboard('孙丽');

    await user.click(screen.getByRole('button', { name: '删除随车人员1' }));

    expect(screen.getAllByTestId('truck-member')).toHaveLength(2);
    expect($('crew-1-name')).toHaveValue('孙丽');
    await user.click($('truck-open'));
    expect(sent().crew.map((m) => m.name)).toEqual(['赵强', '孙丽']);
  });

  it('shows each member’s errors under that member’s field, a member’s plate under the plate, the rest in the banner', async () => {
    const user = userEvent.setup();
    truckOpenTrip.mockRejectedValue(
      commandError({
        code: 'invalid',
        message: '请按提示修改',
        fields: [
          { field: 'crew.0.phone', message: '手机号：不是有效的手机号' },
          { field: 'crew.1.document_number', message: '居民身份证：校验位不对，请核对号码是否输错' },
          { field: 'crew.1.entry_point', message: '入豫地：必填' },
          { field: 'crew.0.plate', message: '车牌号：不是有效的车牌号' },
          { field: 'crew.1.plate', message: '车牌号：不是有效的车牌号' },
          { field: 'destination_id', message: '目的地场所：请选择' },
          { field: 'crew', message: '随车人员最多10人' },
        ],
      }),
    );
    renderCheckpoint();
    await user.type($('crew-0-name'), '赵强');
    await user.click($('truck-add-member'));

    await user.click($('truck-open'));

    expect(await screen.findByTestId('error-crew.0.phone')).toHaveTextContent('手机号：不是有效的手机号');
    expect($('error-crew.1.document_number')).toHaveTextContent('居民身份证：校验位不对');
    expect($('error-crew.1.entry_point')).toHaveTextContent('入豫地：必填');
    expect(screen.queryByTestId('error-crew.0.document_number')).not.toBeInTheDocument();
    expect(screen.queryByTestId('error-crew.1.phone')).not.toBeInTheDocument();
    expect($('crew-0-phone')).toHaveAttribute('aria-invalid', 'true');
    expect($('crew-1-phone')).not.toHaveAttribute('aria-invalid');
    // Under the one plate, once.
    expect($('error-plate')).toHaveTextContent(/^车牌号：不是有效的车牌号$/);
    expect($('error-destination_id')).toHaveTextContent('目的地场所：请选择');
    expect($('truck-form-error')).toHaveTextContent('随车人员最多10人');
    // The first field with an error, in the form's order.
    expect($('truck-plate')).toHaveFocus();

    await user.type($('crew-0-phone'), '1');
    expect(screen.queryByTestId('error-crew.0.phone')).not.toBeInTheDocument();
    expect($('error-crew.1.document_number')).toBeInTheDocument();
  });

  it('returns to sign-in when the desk is found signed out', async () => {
    const user = userEvent.setup();
    truckOpenTrip.mockRejectedValue(commandError({ code: 'signed_out', message: '请先登录' }));
    const { onsignedout } = renderCheckpoint();
    await user.click($('truck-open'));
    await waitFor(() => expect(onsignedout).toHaveBeenCalledTimes(1));
  });

  it('moves through the destinations with ↓ and ↑, takes one with Enter, closes with Esc', async () => {
    const user = userEvent.setup();
    renderCheckpoint();
    const picker = $('truck-destination');
    expect(picker).toHaveAttribute('role', 'combobox');

    await user.click(picker);
    await waitFor(() => expect(screen.getAllByTestId('truck-destination-option')).toHaveLength(2));
    expect(picker).toHaveAttribute('aria-expanded', 'true');
    const options = () => screen.getAllByTestId('truck-destination-option');
    // Nothing typed: nothing highlighted yet, and Enter does not take one.
    expect(options().filter((o) => o.getAttribute('aria-selected') === 'true')).toHaveLength(0);

    await user.keyboard('{ArrowDown}{ArrowDown}');
    expect(options()[1]).toHaveAttribute('aria-selected', 'true');
    expect(picker).toHaveAttribute('aria-activedescendant', options()[1]!.id);
    await user.keyboard('{ArrowUp}');
    expect(options()[0]).toHaveAttribute('aria-selected', 'true');
    await user.keyboard('{ArrowDown}{Enter}');

    expect(picker).toHaveValue(dingsheng.name);
    expect(picker).toHaveAttribute('data-chosen', 'dest-2');
    expect(picker).toHaveAttribute('aria-expanded', 'false');
    expect(truckOpenTrip).not.toHaveBeenCalled();
    // Enter moved on, as Tab would: what the clerk types next goes into the driver's name (it was
    // appended to the destination).
    expect($('crew-0-name')).toHaveFocus();
    await user.keyboard('张立新');
    expect($('crew-0-name')).toHaveValue('张立新');
    expect(picker).toHaveValue(dingsheng.name);

    // Typing again drops the choice; Esc closes the list without taking anything.
    await user.click(picker);
    await user.keyboard('{End}{Backspace}');
    expect(picker).not.toHaveAttribute('data-chosen');
    await waitFor(() => expect(picker).toHaveAttribute('aria-expanded', 'true'));
    await user.keyboard('{Escape}');
    expect(picker).toHaveAttribute('aria-expanded', 'false');
    expect(screen.queryByTestId('truck-destination-chosen')).not.toBeInTheDocument();
  });

  it('says when no destination has the name typed', async () => {
    const user = userEvent.setup();
    renderCheckpoint();
    await user.click($('truck-destination'));
    await user.keyboard('不存在');
    expect(await screen.findByTestId('truck-destination-none')).toHaveTextContent('没有找到名称含“不存在”的目的地场所');
    await user.keyboard('{Enter}');
    expect($('truck-destination')).not.toHaveAttribute('data-chosen');
    expect(truckOpenTrip).not.toHaveBeenCalled();
  });
});

describe('TruckCheckpoint: a crew member not green', () => {
  it('opens no trip: the result screen, worst first, to refuse and report everyone not green', async () => {
    const user = userEvent.setup();
    const driver = result({ visit_id: 'v-driver', masked_name: '赵*', colour: 'green' });
    const red = result({ visit_id: 'v-red', masked_name: '钱*', colour: 'red', reasons: ['风险名单：密切接触者'] });
    const yellow = result({ visit_id: 'v-yellow', masked_name: '孙*', colour: 'yellow', reasons: ['本人申报：有发热、咳嗽症状'] });
    truckOpenTrip.mockResolvedValue({ trip: null, results: [driver, yellow, red] });
    reportIncident.mockResolvedValue(incident());
    renderCheckpoint();
    await user.type($('truck-plate'), '豫B12345');

    await user.click($('truck-open'));

    const shown = await screen.findByTestId('result-screen');
    expect(shown).toHaveAttribute('data-colour', 'red');
    expect(screen.getAllByTestId('result-item').map((i) => i.dataset.colour)).toEqual(['red', 'yellow', 'green']);
    expect(screen.getByText('风险名单：密切接触者')).toBeInTheDocument();
    expect(screen.queryByTestId('truck-entry-form')).not.toBeInTheDocument();
    expect(screen.queryByTestId('truck-notice')).not.toBeInTheDocument();

    await user.keyboard('{Enter}');
    await user.type(await screen.findByTestId('incident-held-at'), '卡口临时隔离区');
    await user.type($('incident-reported-to'), '疫情防控办{Enter}');

    await waitFor(() => expect(reportIncident).toHaveBeenCalledTimes(2));
    expect(reportIncident.mock.calls.map((c) => c[0])).toEqual(['v-red', 'v-yellow']);
    expect(reportIncident).toHaveBeenCalledWith('v-red', { held_at: '卡口临时隔离区', reported_to: '疫情防控办' });
    // Back at the form, cleared, with what was reported.
    expect(await screen.findByTestId('truck-notice')).toHaveTextContent('已拒绝并记录上报：钱*、孙*');
    expect($('truck-plate')).toHaveValue('');
    expect($('truck-find')).toHaveFocus();
  });
});

describe('TruckCheckpoint: the board', () => {
  const HOUR = 3_600_000;

  it('lists overdue trips first with the crew’s phones in full, then open trips and expected departures', async () => {
    const late = trip({
      id: 'trip-late',
      plate: '豫B12345',
      destination_name: '开封市万通物流有限公司',
      entered_at: new Date(Date.now() - 15.5 * HOUR).toISOString(),
      crew: [crewMember({ name_masked: '赵*', phone: '13837812345' }), crewMember({ name_masked: '钱*', phone: '13912345678' })],
      status: 'overdue',
      sync_state: 'pending',
    });
    truckBoard.mockResolvedValue(
      tripBoard({
        overdue: [late],
        open: [trip({ id: 'trip-open', plate: '豫A11111', sync_state: 'synced', pass_number: 'HN2026001' })],
        expected_departures: [trip({ id: 'trip-leaving', plate: '豫C22222', expected_departure: '2026-11-28T10:00:00Z' })],
      }),
    );
    renderCheckpoint();

    const overdue = await screen.findByTestId('truck-overdue');
    expect($('truck-overdue-threshold')).toHaveTextContent('超过12小时未到达');
    const rows = within(overdue).getAllByTestId('truck-overdue-row');
    expect(rows).toHaveLength(1);
    const row = rows[0]!;
    expect(within(row).getByTestId('trip-plate')).toHaveTextContent('豫B12345');
    expect(within(row).getByTestId('trip-destination')).toHaveTextContent('开封市万通物流有限公司');
    expect(within(row).getByTestId('trip-since')).toHaveTextContent('15小时');
    expect(within(row).getAllByTestId('trip-phone').map((p) => p.textContent?.replace(/\s+/g, ''))).toEqual([
      '赵*13837812345',
      '钱*13912345678',
    ]);
    expect(within(row).getByTestId('trip-sync')).toHaveTextContent('未同步');
    expect($('truck-overdue-count')).toHaveTextContent('1');

    // Overdue before open before departures.
    const open = $('truck-open-trips');
    const departures = $('truck-departures');
    expect(overdue.compareDocumentPosition(open) & Node.DOCUMENT_POSITION_FOLLOWING).toBeTruthy();
    expect(open.compareDocumentPosition(departures) & Node.DOCUMENT_POSITION_FOLLOWING).toBeTruthy();

    const openRow = within(open).getByTestId('truck-open-row');
    expect(openRow).toHaveTextContent('豫A11111');
    expect(openRow).toHaveTextContent('2026-11-27 14:03');
    expect(openRow).toHaveTextContent('HN2026001');
    // Open trips show the crew's phones too: any truck in transit may need a call.
    expect(within(openRow).getAllByTestId('trip-phone')[0]).toHaveTextContent('13837812345');
    // The counts are above the form, with a jump to the board.
    expect($('truck-board-summary')).toHaveTextContent('超时未到达 1 辆 · 在途 1 辆');
    expect(within(openRow).getByTestId('trip-sync')).toHaveTextContent('已同步');
    const leaving = within(departures).getByTestId('truck-departure-row');
    expect(within(leaving).getByTestId('trip-departure')).toHaveTextContent('2026-11-28 18:00');
  });

  it('says so when nothing is overdue', async () => {
    renderCheckpoint();
    expect(await screen.findByTestId('truck-overdue')).toHaveTextContent('没有超时未到达的车辆。');
    expect(screen.queryByTestId('truck-overdue-row')).not.toBeInTheDocument();
  });

  it('shows the threshold but no way to change it to an operator who is not the administrator', async () => {
    truckBoard.mockResolvedValue(tripBoard({ overdue_hours: 6 }));
    renderCheckpoint(clerk);
    expect(await screen.findByTestId('truck-overdue-threshold')).toHaveTextContent('超过6小时未到达');
    expect(screen.queryByTestId('truck-overdue-hours')).not.toBeInTheDocument();
  });

  it('lets the administrator change the threshold with Enter', async () => {
    const user = userEvent.setup();
    truckSetOverdueHours.mockResolvedValue(tripBoard({ overdue_hours: 8 }));
    renderCheckpoint(admin);
    const hours = await screen.findByTestId('truck-overdue-hours');
    expect(hours).toHaveValue('12');

    await user.clear(hours);
    await user.type(hours, '8{Enter}');

    expect(truckSetOverdueHours).toHaveBeenCalledWith(8);
    await waitFor(() => expect($('truck-overdue-threshold')).toHaveTextContent('超过8小时未到达'));
    expect($('truck-overdue-hours-saved')).toHaveTextContent('已保存：超过8小时未到达即为超时');
  });

  it('refuses a threshold outside 1 to 72 hours without asking the backend, and shows the backend’s refusal', async () => {
    const user = userEvent.setup();
    truckSetOverdueHours.mockRejectedValue(commandError({ code: 'forbidden', message: '只有管理员可以修改' }));
    renderCheckpoint(admin);
    const hours = await screen.findByTestId('truck-overdue-hours');

    await user.clear(hours);
    await user.type(hours, '73{Enter}');
    expect(await screen.findByTestId('error-hours')).toHaveTextContent('超时时长：请输入1至72之间的整数');
    expect(truckSetOverdueHours).not.toHaveBeenCalled();

    await user.clear(hours);
    await user.type(hours, '24{Enter}');
    expect(await screen.findByTestId('truck-overdue-hours-error')).toHaveTextContent('只有管理员可以修改');
    expect($('truck-overdue-threshold')).toHaveTextContent('超过12小时未到达');
  });

  it('asks for the board again every minute while shown', async () => {
    vi.useFakeTimers();
    const { unmount } = renderCheckpoint();
    await vi.advanceTimersByTimeAsync(0);
    expect(truckBoard).toHaveBeenCalledTimes(1);

    await vi.advanceTimersByTimeAsync(BOARD_REFRESH_MS - 1);
    expect(truckBoard).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(truckBoard).toHaveBeenCalledTimes(2);

    unmount();
    await vi.advanceTimersByTimeAsync(BOARD_REFRESH_MS * 3);
    expect(truckBoard).toHaveBeenCalledTimes(2);
  });

  it('shows a board that cannot be loaded', async () => {
    truckBoard.mockRejectedValue(commandError({ code: 'storage', message: '数据库错误，请重试' }));
    renderCheckpoint();
    expect(await screen.findByTestId('truck-board-error')).toHaveTextContent('数据库错误，请重试');
  });
});

describe('TruckCheckpoint: a truck still in transit', () => {
  const truckResolveTrip = vi.mocked(api.truckResolveTrip);

  it('shows the trip in transit when its plate is looked up, and records 作废 with a note', async () => {
    const user = userEvent.setup();
    const open = trip({ id: 'trip-open', plate: '豫B30001', crew: [crewMember(), crewMember({ name_masked: '钱*' })] });
    truckFindCrew.mockResolvedValue({ predeclarations: [], previous: [truckMember()], open_trip: open, turned_back: null, left_out: [] });
    renderCheckpoint();
    // The clerk first tried to enter the truck: refused for the trip in transit.
    truckOpenTrip.mockRejectedValueOnce(invalid('plate', '车牌号：该车已有在途行程（11-27 14:03 入口，去往开封市万通物流有限公司）'));
    await user.type($('truck-plate'), '豫b30001');
    await user.click($('truck-open'));
    expect(await screen.findByTestId('error-plate')).toHaveTextContent('在途行程');
    await user.type($('truck-find'), '豫B30001{Enter}');
    const warning = await screen.findByTestId('truck-open-trip');
    expect(warning).toHaveTextContent('该车已有在途行程');
    expect(warning).toHaveTextContent('开封市万通物流有限公司');
    expect(warning).toHaveTextContent('赵*、钱*');

    await user.click($('truck-open-trip-cancelled'));
    const panel = await screen.findByTestId('trip-resolve');
    expect(panel).toHaveTextContent('作废：豫B30001');
    expect(panel).toHaveTextContent('登记后不能撤销');
    await waitFor(() => expect($('trip-resolve-note')).toHaveFocus());
    // Enter with no note: the backend's rule names the field; nothing changes.
    truckResolveTrip.mockRejectedValueOnce(invalid('note', '说明：请写明作废原因（至少2个字），如“车牌录错”'));
    await user.keyboard('{Enter}');
    expect(await screen.findByTestId('error-note')).toHaveTextContent('请写明作废原因');
    truckResolveTrip.mockResolvedValueOnce({ ...open, status: 'cancelled', resolution_note: '车牌录错' });
    await user.type($('trip-resolve-note'), '车牌录错{Enter}');
    expect(truckResolveTrip).toHaveBeenLastCalledWith({ trip_id: 'trip-open', resolution: 'cancelled', note: '车牌录错' });
    expect(await screen.findByTestId('truck-notice')).toHaveTextContent('已登记作废：豫B30001');
    expect(screen.queryByTestId('trip-resolve')).not.toBeInTheDocument();
    expect(screen.queryByTestId('truck-open-trip')).not.toBeInTheDocument();
    // The refused entry is ready again: its refusal gone, the focus on 登记入口.
    expect(screen.queryByTestId('error-plate')).not.toBeInTheDocument();
    await waitFor(() => expect($('truck-open')).toHaveFocus());
  });

  it('leaves the trip as it was on Esc, and resolves from the board', async () => {
    const user = userEvent.setup();
    const open = trip({ id: 'trip-b', plate: '豫A11111' });
    truckBoard.mockResolvedValue(tripBoard({ open: [open] }));
    renderCheckpoint();
    const row = await screen.findByTestId('truck-open-row');
    await user.click(within(row).getByTestId('trip-verified'));
    await screen.findByTestId('trip-resolve');
    await user.keyboard('{Escape}');
    expect(screen.queryByTestId('trip-resolve')).not.toBeInTheDocument();
    expect(truckResolveTrip).not.toHaveBeenCalled();

    await user.click(within($('truck-open-row')).getByTestId('trip-turned_back'));
    truckResolveTrip.mockResolvedValueOnce({ ...open, status: 'turned_back', resolution_note: '掉头返回' });
    await user.type(await screen.findByTestId('trip-resolve-note'), '掉头返回{Enter}');
    expect(truckResolveTrip).toHaveBeenLastCalledWith({ trip_id: 'trip-b', resolution: 'turned_back', note: '掉头返回' });
    expect(await screen.findByTestId('truck-notice')).toHaveTextContent('已登记劝返：豫A11111');
  });

  it('lists turned-back and void trips with their note and incidents', async () => {
    truckBoard.mockResolvedValue(
      tripBoard({
        ended: [trip({ plate: '豫B22222', status: 'turned_back', resolution_note: '入口劝返:司乘人员有红码', incident_ids: ['i-1'] })],
      }),
    );
    renderCheckpoint();
    const row = await screen.findByTestId('truck-ended-row');
    expect(within(row).getByTestId('trip-status')).toHaveTextContent('劝返');
    expect(within(row).getByTestId('trip-note')).toHaveTextContent('入口劝返:司乘人员有红码');
    expect(within(row).getByTestId('trip-incidents')).toHaveTextContent('异常处置 1 条');
  });

  it('turns a crew not all green back: the result screen, to refuse and report', async () => {
    const user = userEvent.setup();
    truckFindCrew.mockResolvedValue({ predeclarations: [predeclaration({ plate: '豫B22222' })], previous: [], open_trip: null, turned_back: null, left_out: [] });
    truckOpenTrip.mockResolvedValue({
      trip: trip({ plate: '豫B22222', status: 'turned_back' }),
      results: [result(), result({ colour: 'red', reasons: ['风险人员名单'] })],
    });
    renderCheckpoint();
    await user.type($('truck-find'), '豫B22222{Enter}');
    await user.click(await screen.findByTestId('truck-confirm-predeclaration'));
    await pickDestination(user, '万通');
    await user.click($('truck-open'));
    expect(await screen.findByTestId('result-screen')).toHaveAttribute('data-colour', 'red');
    // The truck is named on the screen the clerk decides on.
    expect($('result-plate')).toHaveTextContent('货车 豫B22222');
  });
});

describe('TruckCheckpoint: a truck turned back lately', () => {
  it('says so on lookup, leaves out the red member, and sends the check only when ticked', async () => {
    const user = userEvent.setup();
    const back = trip({
      id: 'trip-back',
      plate: '豫B22222',
      status: 'turned_back',
      resolved_at: '2026-11-27T06:00:00Z',
      resolution_note: '入口劝返:司乘人员有红码,已上报',
      crew: [crewMember({ name_masked: '张*' }), crewMember({ name_masked: '李*', colour: 'red' })],
    });
    truckFindCrew.mockResolvedValue({
      predeclarations: [],
      previous: [truckMember({ name: '张甲' })],
      open_trip: null,
      turned_back: back,
      left_out: [crewMember({ name_masked: '李*', colour: 'red' })],
    });
    renderCheckpoint();
    await user.type($('truck-find'), '豫B22222{Enter}');
    const warning = await screen.findByTestId('truck-turned-back');
    expect(warning).toHaveTextContent('在本卡口被劝返');
    expect(warning).toHaveTextContent('李*（红码）');
    expect($('truck-left-out')).toHaveTextContent('未带入：李*（红码）');
    // The check is asked in the form, unticked.
    const check = $('truck-turned-back-checked');
    expect(check).not.toBeChecked();
    await user.click($('truck-use-previous'));
    await user.click(check);
    truckOpenTrip.mockResolvedValue({ trip: trip({ plate: '豫B22222' }), results: [result()] });
    await pickDestination(user, '万通');
    await user.click($('truck-open'));
    expect(sent().turned_back_checked).toBe(true);
  });

  it("shows the backend's refusal at the check when the truck was typed in without a lookup", async () => {
    const user = userEvent.setup();
    truckOpenTrip.mockRejectedValue(
      invalid('turned_back_checked', '该车或其司乘人员于 11-27 14:00 在本卡口被劝返（入口劝返:司乘人员有红码），请核实本次司乘人员后勾选“已核实劝返记录”再登记'),
    );
    renderCheckpoint();
    await user.type($('truck-plate'), '豫B22222');
    await user.click($('truck-open'));
    expect(await screen.findByTestId('error-turned_back_checked')).toHaveTextContent('在本卡口被劝返');
    expect($('truck-turned-back-checked')).toHaveFocus();
  });

  it('shows a trip held for the decision on its crew without actions', async () => {
    truckBoard.mockResolvedValue(tripBoard({ open: [trip({ plate: '豫B52525', status: 'held' })] }));
    renderCheckpoint();
    // Its own list, above the others, not among the trucks in transit.
    const row = await screen.findByTestId('truck-held-row');
    expect(screen.queryByTestId('truck-open-row')).not.toBeInTheDocument();
    expect($('truck-board-summary')).toHaveTextContent('在途 0 辆 · 待处置 1 辆');
    expect(within(row).getByTestId('trip-held')).toHaveTextContent('待处置');
    expect(within(row).queryByTestId('trip-cancelled')).not.toBeInTheDocument();
    // 处置 brings its undecided members back to the result screen.
    vi.mocked(api.truckHeldResults).mockResolvedValue([result({ colour: 'red', reasons: ['风险人员名单'] })]);
    await userEvent.setup().click(within(row).getByTestId('trip-decide'));
    expect(await screen.findByTestId('result-screen')).toHaveAttribute('data-colour', 'red');
  });
});

describe('TruckCheckpoint: the board follows the syncs', () => {
  it('reloads the board when a sync sent or received something, not on every status', async () => {
    const events = mockSyncEvents();
    renderCheckpoint();
    await waitFor(() => expect(truckBoard).toHaveBeenCalledTimes(1));
    await waitFor(() => expect(events.listening()).toBe(1));
    const status = syncStatus({ last_ok_at: '2026-11-27T06:00:00Z', pending: 2 });
    events.emit(status);
    events.emit({ ...status, syncing: true });
    expect(truckBoard).toHaveBeenCalledTimes(1);
    events.emit({ ...status, pending: 0, last_ok_at: '2026-11-27T06:00:05Z' });
    await waitFor(() => expect(truckBoard).toHaveBeenCalledTimes(2));
    events.emit({ ...status, pending: 0, last_ok_at: '2026-11-27T06:00:05Z' });
    expect(truckBoard).toHaveBeenCalledTimes(2);
    // Every sync that ends reloads it, even one whose counts look the same (a trip sent while
    // another waited): a row never stays 未同步 after the header says nothing waits.
    events.emit({ ...status, pending: 0, last_ok_at: '2026-11-27T06:00:05Z', syncing: true });
    events.emit({ ...status, pending: 0, last_ok_at: '2026-11-27T06:00:05Z' });
    await waitFor(() => expect(truckBoard).toHaveBeenCalledTimes(3));
  });
});
