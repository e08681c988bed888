import { describe, expect, it } from 'vitest';
import { commandError, result, truckMember } from '../test/fixtures';
import { worstFirst } from './colour';
import { truckScreen, tabShown, shortcutTab } from './panels';
import {
  TRUCK_MAX_CREW,
  blankTrip,
  foldPlateErrors,
  hoursSince,
  looksLikePlate,
  maskName,
  newCrewDraft,
  samePlate,
  tripInput,
  withCrew,
} from './truck';

describe('the entry form', () => {
  it('starts with the driver only, resident ID by default', () => {
    const d = blankTrip();
    expect(d.crew).toHaveLength(1);
    expect(d.crew[0]!.member.document_kind).toBe('resident_id');
    expect(d.destination).toBeNull();
    expect(d.predeclaration_id).toBeNull();
  });

  it('sends the trip’s plate as every member’s, trimmed, with the destination’s id', () => {
    const d = blankTrip();
    d.plate = ' 豫B12345 ';
    d.pass_number = ' HN2026 ';
    d.destination = { id: 'dest-9', name: '万通物流', address: '祥符区' };
    d.crew = [newCrewDraft(truckMember({ plate: '' })), newCrewDraft(truckMember({ name: '钱伟', plate: '豫A00000' }))];
    const input = tripInput(d);
    expect(input.plate).toBe('豫B12345');
    expect(input.pass_number).toBe('HN2026');
    expect(input.destination_id).toBe('dest-9');
    expect(input.crew.map((m) => m.plate)).toEqual(['豫B12345', '豫B12345']);
    expect(input.crew[1]!.name).toBe('钱伟');
  });

  it('sends an empty destination id when none was picked (the backend names the field)', () => {
    expect(tripInput(blankTrip()).destination_id).toBe('');
  });

  it('takes a pre-declaration as declared, keeping the destination and pass already entered', () => {
    const d = blankTrip();
    d.destination = { id: 'dest-1', name: '万通物流', address: '' };
    d.pass_number = 'P1';
    const crew = [truckMember({ symptoms: true, expected_departure: '2026-11-28' }), truckMember({ name: '钱伟' })];
    const next = withCrew(d, '豫B12345', crew, 'pre-7');
    expect(next.predeclaration_id).toBe('pre-7');
    expect(next.destination?.id).toBe('dest-1');
    expect(next.pass_number).toBe('P1');
    expect(next.crew.map((c) => c.member.name)).toEqual(['赵强', '钱伟']);
    expect(next.crew[0]!.member.symptoms).toBe(true);
    expect(next.crew[0]!.member.expected_departure).toBe('2026-11-28');
    // null (a phone that did not say) is a resident ID.
    expect(next.crew[0]!.member.document_kind).toBe('resident_id');
    // New keys: the form draws new blocks.
    expect(new Set(next.crew.map((c) => c.key)).size).toBe(2);
  });

  it('brings a previous crew’s people only: the times and answers are asked again', () => {
    const crew = [truckMember({ symptoms: true, visited_risk_area: true, expected_return: '2026-10-01' })];
    const next = withCrew(blankTrip(), '豫B12345', crew, null, true);
    const m = next.crew[0]!.member;
    expect(m.name).toBe('赵强');
    expect(m.phone).toBe('13837812345');
    expect([m.symptoms, m.visited_risk_area, m.expected_return, m.expected_departure]).toEqual([null, null, '', '']);
    expect(next.predeclaration_id).toBeNull();
  });

  it('keeps at most the backend’s limit of crew members, and at least the driver', () => {
    const many = Array.from({ length: TRUCK_MAX_CREW + 3 }, () => truckMember());
    expect(withCrew(blankTrip(), '豫B1', many, null).crew).toHaveLength(TRUCK_MAX_CREW);
    expect(withCrew(blankTrip(), '豫B1', [], null).crew).toHaveLength(1);
  });
});

describe('foldPlateErrors', () => {
  it('shows members’ plate errors once, under the plate', () => {
    const e = foldPlateErrors(
      commandError({
        code: 'invalid',
        message: '车牌号：格式不对',
        fields: [
          { field: 'crew.0.plate', message: '车牌号：格式不对' },
          { field: 'crew.1.plate', message: '车牌号：格式不对' },
          { field: 'crew.1.phone', message: '手机号：不是有效的手机号' },
        ],
      }),
    );
    expect(e.fields).toEqual([
      { field: 'plate', message: '车牌号：格式不对' },
      { field: 'crew.1.phone', message: '手机号：不是有效的手机号' },
    ]);
    expect(e.code).toBe('invalid');
  });

  it('turns anything else thrown into a CommandError', () => {
    expect(foldPlateErrors('boom')).toMatchObject({ code: 'internal', fields: [] });
  });
});

describe('small rules', () => {
  it('masks a name like the backend (R12)', () => {
    expect(maskName('赵强')).toBe('赵*');
    expect(maskName(' 买买提·艾力 ')).toBe('买*****');
    expect(maskName('')).toBe('');
  });

  it('counts whole hours since a time, never negative', () => {
    const now = Date.parse('2026-11-28T06:30:00Z');
    expect(hoursSince('2026-11-27T06:03:22Z', now)).toBe(24);
    expect(hoursSince('2026-11-28T05:31:00Z', now)).toBe(0);
    expect(hoursSince('2026-11-29T00:00:00Z', now)).toBe(0);
    expect(hoursSince('not a time', now)).toBe(0);
  });

  it('tells a plate from an ID number', () => {
    expect(looksLikePlate('豫B12345')).toBe(true);
    expect(looksLikePlate(' 冀A1234O')).toBe(true);
    expect(looksLikePlate('410202199003070014')).toBe(false);
    expect(looksLikePlate('H12345678')).toBe(false);
  });

  it('puts the worst colour first, keeping the order otherwise', () => {
    const a = result({ masked_name: 'a' });
    const b = result({ masked_name: 'b', colour: 'yellow' });
    const c = result({ masked_name: 'c', colour: 'red' });
    const d = result({ masked_name: 'd', colour: 'yellow' });
    expect(worstFirst([a, b, c, d]).map((r) => r.masked_name)).toEqual(['c', 'b', 'd', 'a']);
  });
});

describe('the 货车 tab', () => {
  it('is shown at a checkpoint or a destination only', () => {
    expect(truckScreen({ kind: 'checkpoint' })).toBe('checkpoint');
    expect(truckScreen({ kind: 'destination' })).toBe('destination');
    expect(truckScreen({ kind: 'general' })).toBeNull();
    expect(truckScreen(null)).toBeNull();
    expect(tabShown('trucks', { kind: 'general' })).toBe(false);
    expect(tabShown('trucks', { kind: 'checkpoint' })).toBe(true);
    expect(tabShown('checkin', null)).toBe(true);
  });

  it('comes last, so the other tabs keep their shortcuts', () => {
    const alt = (code: string) => new KeyboardEvent('keydown', { altKey: true, code });
    expect(shortcutTab(alt('Digit1'))).toBe('checkin');
    expect(shortcutTab(alt('Digit3'))).toBe('venues');
    expect(shortcutTab(alt('Digit8'))).toBe('trucks');
  });
});

describe('samePlate', () => {
  it('treats a plate typed loosely as the same truck, and nothing as no truck', () => {
    expect(samePlate('豫b 30001', '豫B30001')).toBe(true);
    expect(samePlate('豫B·30001', '豫B30001')).toBe(true);
    expect(samePlate('豫B30002', '豫B30001')).toBe(false);
    expect(samePlate('', '')).toBe(false);
  });
});
