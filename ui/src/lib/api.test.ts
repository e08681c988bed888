// The contract with the Rust commands: names, argument names (camelCase on this side) and the
// error shape. Only Tauri's invoke is mocked here.
import { beforeEach, describe, expect, it, vi } from 'vitest';

vi.mock('@tauri-apps/api/core', () => ({
  invoke: vi.fn(),
  // Tauri's channel: what the Rust side sends reaches `onmessage`.
  Channel: class {
    onmessage: (message: unknown) => void = () => {};
  },
}));

// Tauri's events: `listen` resolves with the function that stops listening.
vi.mock('@tauri-apps/api/event', () => ({
  listen: vi.fn(),
}));

import { Channel, invoke } from '@tauri-apps/api/core';
import { listen } from '@tauri-apps/api/event';
import {
  addOperator,
  advanceIncident,
  cancelPosters,
  catalog,
  checkCode,
  checkInById,
  checkInByLast4,
  checkInPerson,
  currentOperator,
  declare,
  importRiskCsv,
  importVenuesCsv,
  incidents,
  issueCode,
  listVenues,
  onSyncStatus,
  openFile,
  operators,
  posterPreview,
  posterSettings,
  registerManual,
  registerVenue,
  reportIncident,
  revokeCode,
  riskStatus,
  savePosters,
  servedVenue,
  setPosterSettings,
  setServedVenue,
  signIn,
  signOut,
  syncConnect,
  syncDiscard,
  syncNow,
  syncRejected,
  syncRetry,
  syncStatus,
  today,
  truckBoard,
  truckDestinations,
  truckFindCrew,
  truckOpenTrip,
  truckRecordArrival,
  truckSetOverdueHours,
  updateVenue,
  venueCodes,
} from './api';
import { toCommandError } from './errors';
import type { DeclarationInput, SyncStatus, TripInput, VenueInput } from './types';

const invokeMock = vi.mocked(invoke);

const input: VenueInput = {
  kind: 'general',
  category: 'mall',
  name: '鼓楼区便民超市',
  district: 'gulou',
  address: '中山路中段18号',
  manager_name: '王建国',
  manager_phone: '13837800001',
};

beforeEach(() => {
  invokeMock.mockReset();
  invokeMock.mockResolvedValue('ok');
});

describe('commands', () => {
  it('calls each command by its Rust name with camelCase arguments', async () => {
    await catalog();
    await listVenues('鼓楼');
    await registerVenue(input, false);
    await updateVenue('v-1', input, true);
    await setServedVenue('v-2');
    await servedVenue();

    expect(invokeMock.mock.calls).toEqual([
      ['catalog', undefined],
      ['list_venues', { query: '鼓楼' }],
      ['register_venue', { input, confirmSimilar: false }],
      ['update_venue', { id: 'v-1', input, confirmSimilar: true }],
      ['set_served_venue', { id: 'v-2' }],
      ['served_venue', undefined],
    ]);
  });

  it('calls the check-in desk commands by their Rust names with camelCase arguments', async () => {
    const person: DeclarationInput = {
      name: '李秀英',
      document_kind: 'resident_id',
      id_number: '11010519491231002X',
      address: '鼓楼区中山路18号院3号楼',
      phone: '',
      visited_risk_area: false,
      contact_with_suspected: false,
      temperature_normal: true,
      temperature: '36.6',
    };
    const helper = { by: 'guardian', name: '张伟', phone: '13837800001', document_number: '410203198001010036' } as const;
    const incident = { held_at: '东门临时隔离区', reported_to: '所在社区' };

    await operators();
    await addOperator('张敏', '246813');
    await signIn('张敏', '246813');
    await signOut();
    await currentOperator();
    await checkInById('11010519491231002X', true);
    await checkInByLast4('002X', null, false);
    await checkInByLast4('002X', 1949, true);
    await checkInPerson('p-1', true);
    await declare(person, false);
    await registerManual(helper, [person], ['父亲'], true);
    await reportIncident('visit-1', incident);
    await advanceIncident('i-1', 'handed_over', '已交社区转运');
    await incidents();
    await today('14:0');
    await riskStatus();

    expect(invokeMock.mock.calls).toEqual([
      ['operators', undefined],
      ['add_operator', { name: '张敏', pin: '246813' }],
      ['sign_in', { name: '张敏', pin: '246813' }],
      ['sign_out', undefined],
      ['current_operator', undefined],
      ['check_in_by_id', { idNumber: '11010519491231002X', tripCodeChecked: true }],
      ['check_in_by_last4', { digits: '002X', birthYear: null, tripCodeChecked: false }],
      ['check_in_by_last4', { digits: '002X', birthYear: 1949, tripCodeChecked: true }],
      ['check_in_person', { personId: 'p-1', tripCodeChecked: true, wayIn: null }],
      ['declare', { input: person, tripCodeChecked: false }],
      ['register_manual', { helper, people: [person], relations: ['父亲'], tripCodeChecked: true }],
      ['report_incident', { visitId: 'visit-1', input: incident }],
      ['advance_incident', { id: 'i-1', status: 'handed_over', note: '已交社区转运' }],
      ['incidents', undefined],
      ['today', { query: '14:0', limit: null }],
      ['risk_status', undefined],
    ]);
  });

  it('calls the code and poster commands by their Rust names with camelCase arguments', async () => {
    const settings = { public_base_url: 'https://placecode.kaifeng.gov.cn', supervision_phone: '12345' };
    await venueCodes('v-1');
    await issueCode('v-1', '东门');
    await revokeCode('CODE', '海报被撕毁');
    await checkCode('https://placecode.kaifeng.gov.cn/c/CODE');
    await posterSettings();
    await setPosterSettings(settings);
    await posterPreview('CODE', true);
    await cancelPosters();
    await openFile('/home/desk/海报.pdf');

    expect(invokeMock.mock.calls).toEqual([
      ['venue_codes', { venueId: 'v-1' }],
      ['issue_code', { venueId: 'v-1', label: '东门' }],
      ['revoke_code', { code: 'CODE', reason: '海报被撕毁' }],
      ['check_code', { input: 'https://placecode.kaifeng.gov.cn/c/CODE' }],
      ['poster_settings', undefined],
      ['set_poster_settings', { settings }],
      ['poster_preview', { code: 'CODE', landscape: true }],
      ['cancel_posters', undefined],
      ['open_file', { path: '/home/desk/海报.pdf' }],
    ]);
  });

  it('calls the sync commands by their Rust names with camelCase arguments', async () => {
    await syncStatus();
    await syncConnect('https://central.kaifeng.gov.cn', 'K7PX-92QD', null);
    await syncConnect('https://10.0.0.5:8443', 'K7PX-92QD', '/etc/placecode/ca.pem', true);
    await syncNow();
    await syncRejected();
    await syncRetry('rec-1');
    await syncDiscard('rec-2', '重复登记');

    expect(invokeMock.mock.calls).toEqual([
      ['sync_status', undefined],
      ['sync_connect', { url: 'https://central.kaifeng.gov.cn', token: 'K7PX-92QD', caFile: null, replaceRiskList: false }],
      ['sync_connect', { url: 'https://10.0.0.5:8443', token: 'K7PX-92QD', caFile: '/etc/placecode/ca.pem', replaceRiskList: true }],
      ['sync_now', undefined],
      ['sync_rejected', undefined],
      ['sync_retry', { id: 'rec-1' }],
      ['sync_discard', { id: 'rec-2', note: '重复登记' }],
    ]);
  });

  it('calls the truck commands by their Rust names with camelCase arguments', async () => {
    const input: TripInput = {
      plate: '豫B12345',
      crew: [
        {
          name: '赵强',
          document_kind: 'resident_id',
          document_number: '410202199003070014',
          plate: '豫B12345',
          phone: '13837812345',
          origin: '山东省菏泽市',
          entry_point: '兰考收费站',
          expected_return: '',
          expected_departure: '2026-11-28 18:00',
          symptoms: false,
          visited_risk_area: false,
        },
      ],
      pass_number: '',
      destination_id: 'dest-1',
      predeclaration_id: 'pre-1',
      turned_back_checked: false,
    };
    await truckDestinations('万通');
    await truckDestinations('');
    await truckFindCrew('豫B12345');
    await truckOpenTrip(input);
    await truckRecordArrival('410202199003070014');
    await truckBoard();
    await truckSetOverdueHours(8);

    expect(invokeMock.mock.calls).toEqual([
      ['truck_destinations', { query: '万通' }],
      ['truck_destinations', { query: '' }],
      ['truck_find_crew', { query: '豫B12345' }],
      ['truck_open_trip', { input }],
      ['truck_record_arrival', { query: '410202199003070014' }],
      ['truck_board', undefined],
      ['truck_set_overdue_hours', { hours: 8 }],
    ]);
  });

  it('rejects a truck command with the field errors the backend sent', async () => {
    const error = {
      code: 'invalid',
      message: '手机号：不是有效的手机号',
      fields: [{ field: 'crew.1.phone', message: '手机号：不是有效的手机号' }],
      similar: [],
    };
    invokeMock.mockRejectedValueOnce(error);
    await expect(
      truckOpenTrip({ plate: '豫B12345', crew: [], pass_number: '', destination_id: '', predeclaration_id: null, turned_back_checked: false }),
    ).rejects.toEqual(error);
    invokeMock.mockRejectedValueOnce({ code: 'forbidden', message: '只有管理员可以修改' });
    await expect(truckSetOverdueHours(6)).rejects.toMatchObject({ code: 'forbidden', fields: [], similar: [] });
  });

  it('hands each sync-status event’s payload to the callback, and stops on request', async () => {
    const unlisten = vi.fn();
    vi.mocked(listen).mockResolvedValueOnce(unlisten);
    const cb = vi.fn();

    const stop = await onSyncStatus(cb);

    expect(listen).toHaveBeenCalledTimes(1);
    const [name, handler] = vi.mocked(listen).mock.calls[0]!;
    expect(name).toBe('sync-status');
    const payload = { enrolled: true, pending: 3 } as SyncStatus;
    handler({ event: 'sync-status', id: 1, payload });
    expect(cb).toHaveBeenCalledWith(payload);
    stop();
    expect(unlisten).toHaveBeenCalledTimes(1);
  });

  it('saves posters with a channel that reports the progress', async () => {
    invokeMock.mockResolvedValueOnce('/home/desk/场所码海报-2张.pdf');
    const onProgress = vi.fn();

    await expect(savePosters(['v-1', 'v-2'], ['CODE'], true, 'pdf', onProgress)).resolves.toBe(
      '/home/desk/场所码海报-2张.pdf',
    );

    expect(invokeMock).toHaveBeenCalledTimes(1);
    const [command, args] = invokeMock.mock.calls[0]!;
    expect(command).toBe('save_posters');
    const { onProgress: channel, ...rest } = args as Record<string, unknown>;
    expect(rest).toEqual({ venueIds: ['v-1', 'v-2'], codes: ['CODE'], landscape: true, format: 'pdf' });
    expect(channel).toBeInstanceOf(Channel);
    (channel as Channel<number>).onmessage(2);
    expect(onProgress).toHaveBeenCalledWith(2);
  });

  it('resolves with null when no file was saved', async () => {
    invokeMock.mockResolvedValueOnce(null);
    await expect(savePosters([], ['CODE'], false, 'png', () => {})).resolves.toBeNull();
  });

  it('sends the risk list as the raw body with the x-replace header', async () => {
    const bytes = new Uint8Array([0x41, 0x2c, 0x42]);
    await importRiskCsv(bytes, true);
    await importRiskCsv(bytes, false);
    expect(invokeMock.mock.calls).toEqual([
      ['import_risk_csv', bytes, { headers: { 'x-replace': '1' } }],
      ['import_risk_csv', bytes, { headers: { 'x-replace': '0' } }],
    ]);
  });

  it('rejects a desk command with signed_out as the backend sent it', async () => {
    const error = { code: 'signed_out', message: '请先登录：选择登记员并输入PIN', fields: [], similar: [] };
    invokeMock.mockRejectedValueOnce(error);
    await expect(checkInById('11010519491231002X', true)).rejects.toEqual(error);
  });

  it('sends a CSV file as the raw body', async () => {
    const bytes = new Uint8Array([0xef, 0xbb, 0xbf, 0x41]);
    await importVenuesCsv(bytes);
    expect(invokeMock).toHaveBeenCalledWith('import_venues_csv', bytes);
  });

  it('passes the result through', async () => {
    invokeMock.mockResolvedValueOnce([{ id: 'v-1' }]);
    await expect(listVenues('')).resolves.toEqual([{ id: 'v-1' }]);
  });

  it('rejects with the CommandError the backend sent', async () => {
    const error = {
      code: 'invalid',
      message: '联系电话：不是有效的手机号',
      fields: [{ field: 'manager_phone', message: '联系电话：不是有效的手机号' }],
      similar: [],
    };
    invokeMock.mockRejectedValueOnce(error);
    await expect(registerVenue(input, false)).rejects.toEqual(error);
  });

  it('turns a plain string rejection into an internal error', async () => {
    invokeMock.mockRejectedValueOnce('command register_venue not found');
    await expect(registerVenue(input, false)).rejects.toEqual({
      code: 'internal',
      message: '操作失败，请重试',
      fields: [],
      similar: [],
    });
  });
});

describe('toCommandError', () => {
  it('fills in missing lists and drops malformed field errors', () => {
    expect(
      toCommandError({ code: 'duplicate', message: '重复登记', fields: [{ field: 1 }, { field: 'name', message: 'x' }] }),
    ).toEqual({
      code: 'duplicate',
      message: '重复登记',
      fields: [{ field: 'name', message: 'x' }],
      similar: [],
    });
  });

  it('never shows a technical message from a JS error', () => {
    const e = toCommandError(new TypeError("Cannot read properties of undefined (reading 'invoke')"));
    expect(e).toEqual({ code: 'internal', message: '操作失败，请重试', fields: [], similar: [] });
  });

  it('handles null, undefined and numbers', () => {
    for (const raw of [null, undefined, 42, '']) {
      expect(toCommandError(raw).code).toBe('internal');
    }
  });

  it('keeps the code but uses the generic text when the message is empty', () => {
    expect(toCommandError({ code: 'storage', message: '' })).toMatchObject({
      code: 'storage',
      message: '操作失败，请重试',
    });
  });
});
