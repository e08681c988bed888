// Test data shaped like what the Rust side sends.
import type {
  Arrival,
  Candidate,
  Catalog,
  CheckInResult,
  CodeCheck,
  CommandError,
  CrewMember,
  Destination,
  Incident,
  Operator,
  PreDeclaration,
  RejectedRecord,
  RiskStatus,
  SyncStatus,
  TodaySummary,
  Trip,
  TripBoard,
  TruckDeclarationInput,
  Venue,
  VenueCode,
  VisitRow,
} from '../lib/types';

export const catalog: Catalog = {
  kinds: [
    { value: 'general', label: '场所码' },
    { value: 'checkpoint', label: '专属场所码·交通卡口' },
    { value: 'destination', label: '专属场所码·目的地场所' },
  ],
  categories: [
    { value: 'institution', label: '机关企事业单位' },
    { value: 'mall', label: '商场超市' },
    { value: 'market', label: '农贸市场' },
    { value: 'hotel', label: '宾馆酒店' },
    { value: 'restaurant', label: '餐厅饭店' },
    { value: 'community', label: '居民社区(小区)' },
    { value: 'other', label: '其他人员易聚集场所' },
    { value: 'checkpoint', label: '交通卡口(疫情防控检查站)' },
  ],
  districts: [
    { value: 'gulou', label: '鼓楼区' },
    { value: 'longting', label: '龙亭区' },
    { value: 'shunhe', label: '顺河回族区' },
    { value: 'xiangfu', label: '祥符区' },
    { value: 'lankao', label: '兰考县' },
  ],
};

let next = 1;

export function venue(overrides: Partial<Venue> = {}): Venue {
  const id = overrides.id ?? `v-${next++}`;
  return {
    id,
    kind: 'general',
    category: 'mall',
    name: '鼓楼区便民超市',
    district: 'gulou',
    address: '中山路中段18号',
    manager_name: '王建国',
    manager_phone: '13837800001',
    // As the backend masks them (R12).
    manager_name_masked: '王**',
    manager_phone_masked: '138****0001',
    served: false,
    created_at: '2024-05-01T08:00:00Z',
    updated_at: '2024-05-01T08:00:00Z',
    rejected: null,
    ...overrides,
  };
}

export function operator(overrides: Partial<Operator> = {}): Operator {
  return { id: 'op-1', name: '张敏', is_admin: true, must_change_pin: false, disabled: false, ...overrides };
}

/** 2026-11-27 14:03:22 in Shanghai. */
export const AT = '2026-11-27T06:03:22Z';

export function result(overrides: Partial<CheckInResult> = {}): CheckInResult {
  return {
    visit_id: `visit-${next++}`,
    colour: 'green',
    health_code: 'green',
    reasons: [],
    masked_name: '李**',
    masked_id: '110***********002X',
    venue_name: '开封宾馆',
    way_in: 'id_number',
    at: AT,
    risk_stale: false,
    risk_as_of: '2026-11-27T00:00:00Z',
    ...overrides,
  };
}

export function candidate(overrides: Partial<Candidate> = {}): Candidate {
  return { person_id: `person-${next++}`, masked_name: '王*', birth_year: 1990, document_kind: 'resident_id', ...overrides };
}

export function visitRow(overrides: Partial<VisitRow> = {}): VisitRow {
  return {
    id: `visit-${next++}`,
    at: AT,
    masked_name: '李**',
    masked_id: '110***********002X',
    colour: 'green',
    way_in: 'last4',
    operator_name: '张敏',
    helped_by: null,
    trip_code_checked: true,
    sync_state: 'pending',
    present: false,
    entrance: null,
    ...overrides,
  };
}

export function todaySummary(visits: VisitRow[], overrides: Partial<TodaySummary> = {}): TodaySummary {
  const count = (f: (v: VisitRow) => boolean) => visits.filter(f).length;
  return {
    total: visits.length,
    green: count((v) => v.colour === 'green'),
    yellow: count((v) => v.colour === 'yellow'),
    red: count((v) => v.colour === 'red'),
    by_id_number: count((v) => v.way_in === 'id_number'),
    by_last4: count((v) => v.way_in === 'last4'),
    by_declaration: count((v) => v.way_in === 'declaration'),
    by_manual: count((v) => v.way_in === 'manual'),
    pending_sync: count((v) => v.sync_state !== 'synced'),
    visits,
    more: 0,
    first_day: '',
    ...overrides,
  };
}

export function incident(overrides: Partial<Incident> = {}): Incident {
  return {
    id: `incident-${next++}`,
    visit_id: `visit-${next++}`,
    colour: 'red',
    reason: '风险名单：密切接触者',
    masked_name: '赵**',
    masked_id: '410***********1234',
    held_at: '东门临时隔离区',
    reported_to: '所在社区',
    reported_at: AT,
    operator_name: '张敏',
    status: 'isolated',
    note: '',
    updated_at: AT,
    sync_state: 'pending',
    ...overrides,
  };
}

export function riskStatus(overrides: Partial<RiskStatus> = {}): RiskStatus {
  return { as_of: '2026-11-27T00:00:00Z', stale: false, entries: 1234, max_age_hours: 24, from_centre: false, ...overrides };
}

/** An enrolled desk, online, with nothing waiting. */
export function syncStatus(overrides: Partial<SyncStatus> = {}): SyncStatus {
  return {
    enrolled: true,
    server_url: 'https://central.kaifeng.gov.cn',
    desk_id: 'desk-7f3a',
    desk_name: '开封宾馆东门登记台',
    venues: ['开封宾馆'],
    districts: ['gulou'],
    online: true,
    syncing: false,
    last_ok_at: AT,
    pending: 0,
    oldest_pending_at: null,
    rejected: 0,
    clock_offset_ms: 120,
    error: null,
    progress: null,
    late_waiting: 0,
    ...overrides,
  };
}

/** A desk that was never connected to the central server. */
export function notEnrolled(overrides: Partial<SyncStatus> = {}): SyncStatus {
  return syncStatus({
    enrolled: false,
    server_url: '',
    desk_id: '',
    desk_name: '',
    venues: [],
    districts: [],
    online: null,
    last_ok_at: null,
    clock_offset_ms: null,
    ...overrides,
  });
}

export function rejectedRecord(overrides: Partial<RejectedRecord> = {}): RejectedRecord {
  return {
    id: `rec-${next++}`,
    kind: 'visit',
    kind_label: '登记记录',
    summary: '李** · 开封宾馆 · 14:03',
    field: 'venue_id',
    reason: '场所：本台未获准为该场所登记',
    written_at: AT,
    correctable: false,
    ...overrides,
  };
}

/** 34 characters of the codes' alphabet, different for each `n`. */
export function codeText(n: number): string {
  return `1A2B3C4D5E6F7G8H9J0K1M2N3P4Q5R${String(n).padStart(4, '0')}`;
}

export function venueCode(overrides: Partial<VenueCode> = {}): VenueCode {
  return {
    code: codeText(next++),
    venue_id: 'v-mall',
    venue_name: '鼓楼区便民超市',
    kind: 'general',
    label: '正门',
    created_at: AT,
    revoked_at: null,
    revoked_reason: null,
    replaced_by: null,
    rotating_only: false,
    ...overrides,
  };
}

export function codeCheck(overrides: Partial<CodeCheck> = {}): CodeCheck {
  const known = overrides.known === undefined ? venueCode() : overrides.known;
  return {
    code: known?.code ?? codeText(next++),
    kind: 'general',
    verified: true,
    known,
    verdict: known ? 'valid' : 'unknown',
    ...overrides,
  };
}

export function commandError(overrides: Partial<CommandError>): CommandError {
  return { code: 'internal', message: '操作失败，请重试', fields: [], similar: [], ...overrides };
}

/** The backend refusing one field ("invalid"), with the field's message as the error's. */
export function invalid(field: string, message: string): CommandError {
  return commandError({ code: 'invalid', message, fields: [{ field, message }] });
}

/** A promise and the functions that settle it, to look at the UI while a call is pending. */
export function deferred<T>(): {
  promise: Promise<T>;
  resolve: (value: T) => void;
  reject: (reason: unknown) => void;
} {
  let resolve!: (value: T) => void;
  let reject!: (reason: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

// ---- 货车闭环 -----------------------------------------------------------------------------------

export function destination(overrides: Partial<Destination> = {}): Destination {
  return { id: `dest-${next++}`, name: '开封市万通物流有限公司', address: '祥符区物流园区8号', ...overrides };
}

/** A crew member's declaration as typed or pre-declared: the driver 赵强. */
export function truckMember(overrides: Partial<TruckDeclarationInput> = {}): TruckDeclarationInput {
  return {
    name: '赵强',
    document_kind: null,
    document_number: '410202199003070014',
    plate: '豫B12345',
    phone: '13837812345',
    origin: '山东省菏泽市',
    entry_point: '兰考收费站',
    expected_return: '',
    expected_departure: '2026-11-28 18:00',
    symptoms: false,
    visited_risk_area: false,
    ...overrides,
  };
}

export function predeclaration(overrides: Partial<PreDeclaration> = {}): PreDeclaration {
  return { id: `pre-${next++}`, plate: '豫B12345', crew: [truckMember()], at: AT, destination: null, ...overrides };
}

export function crewMember(overrides: Partial<CrewMember> = {}): CrewMember {
  return { name_masked: '赵*', document_masked: '410***********0014', phone: '13837812345', colour: 'green', ...overrides };
}

export function trip(overrides: Partial<Trip> = {}): Trip {
  return {
    id: `trip-${next++}`,
    plate: '豫B12345',
    checkpoint_name: '兰考收费站卡口',
    destination_id: 'dest-1',
    destination_name: '开封市万通物流有限公司',
    crew: [crewMember()],
    pass_number: '',
    entered_at: AT,
    expected_departure: null,
    arrived_at: null,
    status: 'open',
    resolved_at: null,
    resolution_note: '',
    incident_ids: [],
    sync_state: 'pending',
    ...overrides,
  };
}

export function arrival(overrides: Partial<Arrival> = {}): Arrival {
  const t = overrides.trip === undefined ? trip({ status: 'closed', arrived_at: AT }) : overrides.trip;
  return { id: `arrival-${next++}`, plate: t?.plate ?? '豫B12345', at: AT, trip: t, flagged: t === null, sync_state: 'pending', ...overrides };
}

export function tripBoard(overrides: Partial<TripBoard> = {}): TripBoard {
  return {
    overdue_hours: 12,
    open: [],
    overdue: [],
    expected_departures: [],
    expected_arrivals: [],
    arrivals_today: [],
    closed: [],
    ended: [],
    ...overrides,
  };
}
