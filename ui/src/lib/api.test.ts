// The contract with the Rust commands: names, argument names (camelCase on this side) and the
// error shape. Only Tauri's invoke is mocked here.
import { beforeEach, describe, expect, it, vi } from 'vitest';

vi.mock('@tauri-apps/api/core', () => ({ invoke: vi.fn() }));

import { invoke } from '@tauri-apps/api/core';
import {
  catalog,
  importVenuesCsv,
  listVenues,
  registerVenue,
  servedVenue,
  setServedVenue,
  updateVenue,
} from './api';
import { toCommandError } from './errors';
import type { VenueInput } from './types';

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
