// The seam to the Rust side: the only module that talks to Tauri. Components call these
// functions and never `invoke` directly, so tests mock this one module.
//
// Every function rejects with a `CommandError`, whatever went wrong. Commands of the check-in
// desk reject with code "signed_out" when no operator is signed in, and "forbidden" when the
// operator may not do this.
import { Channel, invoke } from '@tauri-apps/api/core';
import { listen } from '@tauri-apps/api/event';
import { toCommandError } from './errors';
import type {
  Arrival,
  Catalog,
  CheckInResult,
  CheckOut,
  CodeCheck,
  CrewLookup,
  DeclarationInput,
  Destination,
  HelperInput,
  ImportReport,
  Incident,
  IncidentInput,
  IncidentPlaceList,
  IncidentPlaces,
  IncidentStatus,
  LateHit,
  LimitInput,
  Lookup,
  Occupancy,
  Operator,
  QueueView,
  PosterSettings,
  PrintJob,
  PrintSetup,
  RejectedRecord,
  ReleaseReason,
  RiskImportReport,
  RiskStatus,
  ScreenCode,
  SessionSettings,
  SyncStatus,
  TodaySummary,
  Trip,
  TripBoard,
  TripInput,
  TripResolveInput,
  TripResult,
  UpdateStatus,
  Venue,
  VenueCode,
  VenueInput,
  WayIn,
} from './types';

async function call<T>(
  command: string,
  args?: Parameters<typeof invoke>[1],
  options?: Parameters<typeof invoke>[2],
): Promise<T> {
  try {
    return options === undefined ? await invoke<T>(command, args) : await invoke<T>(command, args, options);
  } catch (e) {
    throw toCommandError(e);
  }
}

// ---- venues (场所) ---------------------------------------------------------------------------

/** The fixed lists (码的类型, 场所类型, 所在辖区) with their official labels. */
export function catalog(): Promise<Catalog> {
  return call<Catalog>('catalog');
}

/** The screens' language, so that the reasons the rules give come in it too. */
export function setLanguage(language: 'zh-CN' | 'en'): Promise<void> {
  return call<void>('set_language', { language });
}

/** Venues matching `query` (empty: all). */
export function listVenues(query: string): Promise<Venue[]> {
  return call<Venue[]>('list_venues', { query });
}

export function registerVenue(input: VenueInput, confirmSimilar: boolean): Promise<Venue> {
  return call<Venue>('register_venue', { input, confirmSimilar });
}

export function updateVenue(id: string, input: VenueInput, confirmSimilar: boolean): Promise<Venue> {
  return call<Venue>('update_venue', { id, input, confirmSimilar });
}

/** Makes `id` the venue this desk serves (本台服务场所). */
export function setServedVenue(id: string): Promise<Venue> {
  return call<Venue>('set_served_venue', { id });
}

export function servedVenue(): Promise<Venue | null> {
  return call<Venue | null>('served_venue');
}

/** Whether this new desk's administrator is still to be walked through its first steps (开始使用). */
export function setupPending(): Promise<boolean> {
  return call<boolean>('setup_pending');
}

/** The first steps are done, or put off to 设置: the guide is not shown again. */
export function finishSetup(): Promise<void> {
  return call<void>('finish_setup');
}

/** Sends the file's bytes as the raw request body. */
export function importVenuesCsv(bytes: Uint8Array): Promise<ImportReport> {
  return call<ImportReport>('import_venues_csv', bytes);
}

// ---- operators (登记员) ----------------------------------------------------------------------

export function operators(): Promise<Operator[]> {
  return call<Operator[]>('operators');
}

/** 停用 / 启用 an operator (the administrator; never the administrator). */
export function setOperatorDisabled(id: string, disabled: boolean): Promise<Operator> {
  return call<Operator>('set_operator_disabled', { id, disabled });
}

/**
 * Adds an operator. On a new desk anyone may add the first one, who becomes the administrator
 * and is signed in at once; later ones need the administrator signed in ("forbidden").
 */
export function addOperator(name: string, pin: string): Promise<Operator> {
  return call<Operator>('add_operator', { name, pin });
}

export function signIn(name: string, pin: string): Promise<Operator> {
  return call<Operator>('sign_in', { name, pin });
}

export function signOut(): Promise<void> {
  return call<void>('sign_out');
}

/** The operator is typing or clicking at the desk: the desk's idle time starts again. */
export function reportActivity(): Promise<void> {
  return call<void>('still_here');
}

export function currentOperator(): Promise<Operator | null> {
  return call<Operator | null>('current_operator');
}

/** The signed-in operator changes their own PIN (field errors on `current` or `pin`); answers the operator as now signed in. */
export function changePin(current: string, pin: string): Promise<Operator> {
  return call<Operator>('change_pin', { current, pin });
}

/** After how many idle minutes the desk signs its operator out. */
export function sessionSettings(): Promise<SessionSettings> {
  return call<SessionSettings>('session_settings');
}

/** Sets 保存期限, 7 to 180 days (administrator); what is past a shorter window goes at once. */
export function setRetentionDays(days: number): Promise<SessionSettings> {
  return call<SessionSettings>('set_retention_days', { days });
}

/** Sets the idle sign-out, 1 to 120 minutes (administrator). */
export function setIdleMinutes(minutes: number): Promise<SessionSettings> {
  return call<SessionSettings>('set_idle_minutes', { minutes });
}

// ---- check-in (登记台) -----------------------------------------------------------------------

/** A full ID number, scanned or typed. `tripCodeChecked`: staff saw the trip code (R8). */
export function checkInById(idNumber: string, tripCodeChecked: boolean): Promise<Lookup> {
  return call<Lookup>('check_in_by_id', { idNumber, tripCodeChecked });
}

/** A returning visitor's last four ID characters, optionally narrowed by birth year. */
export function checkInByLast4(digits: string, birthYear: number | null, tripCodeChecked: boolean): Promise<Lookup> {
  return call<Lookup>('check_in_by_last4', { digits, birthYear, tripCodeChecked });
}

/** A person recorded again after a repeat scan was confirmed (`wayIn` as scanned). */
export function checkInPerson(personId: string, tripCodeChecked: boolean, wayIn: WayIn | null = null): Promise<CheckInResult> {
  return call<CheckInResult>('check_in_person', { personId, tripCodeChecked, wayIn });
}

/** A person picked among several sharing the last four: checked in, or asked first on a repeat. */
export function checkInPicked(personId: string, tripCodeChecked: boolean): Promise<Lookup> {
  return call<Lookup>('check_in_picked', { personId, tripCodeChecked });
}

/** A first-time declaration at the desk (首次登记). */
export function declare(input: DeclarationInput, tripCodeChecked: boolean): Promise<CheckInResult> {
  return call<CheckInResult>('declare', { input, tripCodeChecked });
}

/**
 * 手工登记: one or more people registered by the operator or a guardian (R6); `relations` says,
 * per person, who the guardian is to them (empty for the operator).
 */
export function registerManual(
  helper: HelperInput,
  people: DeclarationInput[],
  relations: string[],
  tripCodeChecked: boolean,
): Promise<CheckInResult[]> {
  return call<CheckInResult[]>('register_manual', { helper, people, relations, tripCodeChecked });
}

// ---- incidents (异常处置) --------------------------------------------------------------------

/** 拒绝并上报 for a yellow or red visit. */
export function reportIncident(visitId: string, input: IncidentInput): Promise<Incident> {
  return call<Incident>('report_incident', { visitId, input });
}

/** Yellow or red results of this desk that nobody decided on (shown again until decided). */
export function undecidedResults(): Promise<CheckInResult[]> {
  return call<CheckInResult[]>('undecided_results');
}

/**
 * Isolation points and recipients to offer on the report form: the administrator's list, those used
 * before at the served venue, the usual recipients for its kind (this desk's own data).
 */
export function incidentPlaces(): Promise<IncidentPlaces> {
  return call<IncidentPlaces>('incident_places');
}

/**
 * A day's check-ins (2026-11-27, Beijing time), counted and masked; the newest `limit` listed
 * (one page unless given; `more` says how many 显示更多 adds). Field error: date.
 */
export function dayVisits(date: string, query: string, limit?: number): Promise<TodaySummary> {
  return call<TodaySummary>('day_visits', { date, query, limit: limit ?? null });
}

/** Saves a day's check-ins as a masked Excel workbook; the path, or null when cancelled. */
export function exportDay(date: string): Promise<string | null> {
  return call<string | null>('export_day', { date });
}

/**
 * The same in full (the administrator only), with the reason recorded. Field errors: date, note
 * (the reason).
 */
export function exportDayFull(date: string, reason: string): Promise<string | null> {
  return call<string | null>('export_day_full', { date, reason });
}

/** The undecided yellow and red results of a truck held at entry. */
export function truckHeldResults(tripId: string): Promise<CheckInResult[]> {
  return call<CheckInResult[]>('truck_held_results', { tripId });
}

/** The administrator's list of isolation points and recipients for the served venue. */
export function incidentPlaceList(): Promise<IncidentPlaceList> {
  return call<IncidentPlaceList>('incident_place_list');
}

/**
 * Replaces that list (administrator only). Field errors: held_at.<i>, reported_to.<i> (a line),
 * held_at, reported_to (too many).
 */
export function setIncidentPlaceList(list: IncidentPlaceList): Promise<IncidentPlaceList> {
  return call<IncidentPlaceList>('set_incident_place_list', { list });
}

/** Leaving a yellow or red result without a report: the reason is recorded (never silently). */
export function releaseVisit(visitId: string, reason: ReleaseReason, note: string): Promise<Incident> {
  return call<Incident>('release_visit', { visitId, reason, note });
}

/** An incident's next step, with what was done (required). */
export function advanceIncident(id: string, status: IncidentStatus, note: string): Promise<Incident> {
  return call<Incident>('advance_incident', { id, status, note });
}

/** Open incidents first, newest first. */
export function incidents(): Promise<Incident[]> {
  return call<Incident[]>('incidents');
}

/** Check-ins found late (事后发现) to be of yellow or red people, those not yet reported first. */
export function lateHits(): Promise<LateHit[]> {
  return call<LateHit[]>('late_hits');
}

/** Records that a late-found check-in was reported, with what was done (required); the list after. */
export function reportLateHit(visitId: string, note: string): Promise<LateHit[]> {
  return call<LateHit[]>('report_late_hit', { visitId, note });
}

/**
 * Today's check-ins and counts; `query` searches the name, the last four or the time (HH:MM).
 * Every match is counted, the newest `limit` listed (one page unless given).
 */
export function today(query: string, limit?: number): Promise<TodaySummary> {
  return call<TodaySummary>('today', { query, limit: limit ?? null });
}

// ---- risk list (风险名单) --------------------------------------------------------------------

/** Sends the file's bytes as the raw body; `replace` empties the list first (全量替换). */
export function importRiskCsv(bytes: Uint8Array, replace: boolean): Promise<RiskImportReport> {
  return call<RiskImportReport>('import_risk_csv', bytes, { headers: { 'x-replace': replace ? '1' : '0' } });
}

export function riskStatus(): Promise<RiskStatus> {
  return call<RiskStatus>('risk_status');
}

/** 过期提醒: after how many hours the risk list counts as stale (administrators only). */
export function setRiskMaxAge(hours: number): Promise<RiskStatus> {
  return call('set_risk_max_age', { hours });
}

// ---- venue codes and posters (场所码与海报) --------------------------------------------------

/** A venue's codes, one per entrance, active ones first. */
export function venueCodes(venueId: string): Promise<VenueCode[]> {
  return call<VenueCode[]>('venue_codes', { venueId });
}

/** A new code for one entrance (`label`: 东门, 2号通道) of a venue. */
export function issueCode(venueId: string, label: string): Promise<VenueCode> {
  return call<VenueCode>('issue_code', { venueId, label });
}

/** Revokes a code; resolves with its replacement for the same entrance. */
export function revokeCode(code: string, reason: string): Promise<VenueCode> {
  return call<VenueCode>('revoke_code', { code, reason });
}

/** 扫码屏: opens (or brings forward) the window showing `code`'s rotating code, changing every `period` seconds. */
export function openScreen(code: string, period: number): Promise<void> {
  return call<void>('open_screen', { code, period });
}

/** The codes whose 扫码屏 this desk runs (open now, or opening again at start). */
export function runningScreens(): Promise<string[]> {
  return call<string[]>('running_screens');
}

/** At start: the screens this desk runs open again, as they were. */
export function reopenScreens(): Promise<number> {
  return call<number>('reopen_screens');
}

/** 关闭扫码屏: the screen's window closes and does not open again at start. */
export function stopScreen(code: string): Promise<void> {
  return call<void>('stop_screen', { code });
}

/** What the 扫码屏 window shows now (only that window may ask). */
export function screenCode(): Promise<ScreenCode> {
  return call<ScreenCode>('screen_code');
}

/** Whether an entrance takes only its 扫码屏's code. */
export function setCodeRotatingOnly(code: string, rotatingOnly: boolean): Promise<VenueCode> {
  return call<VenueCode>('set_code_rotating_only', { code, rotatingOnly });
}

/** How many are inside the venue this desk serves, against its limit (限流). */
export function occupancy(): Promise<Occupancy> {
  return call<Occupancy>('occupancy');
}

/** 现场情况: the queue at the venue this desk serves, live. */
export function queueView(): Promise<QueueView> {
  return call<QueueView>('queue_view');
}

/** 离场: a full document number, or the last four of someone inside; the field error's key is "query". */
export function checkOut(query: string): Promise<CheckOut> {
  return call<CheckOut>('check_out', { query });
}

/** Sets (or, with null, removes) the served venue's limit; resolves with the occupancy under it. */
export function setVenueLimit(limit: LimitInput | null): Promise<Occupancy> {
  return call<Occupancy>('set_venue_limit', { limit });
}

/** 核验: a typed code or a pasted URL; the field error's key is "code". */
export function checkCode(input: string): Promise<CodeCheck> {
  return call<CodeCheck>('check_code', { input });
}

/** 核验 from a photo or scan of a poster (PNG or JPEG), sent as the raw body. */
export function checkCodeImage(bytes: Uint8Array): Promise<CodeCheck> {
  return call<CodeCheck>('check_code_image', bytes);
}

export function posterSettings(): Promise<PosterSettings> {
  return call<PosterSettings>('poster_settings');
}

/** Administrators only. */
export function setPosterSettings(settings: PosterSettings): Promise<PosterSettings> {
  return call<PosterSettings>('set_poster_settings', { settings });
}

/** One code's poster as a PNG data URL (data:image/png;base64,…). */
export function posterPreview(code: string, landscape: boolean): Promise<string> {
  return call<string>('poster_preview', { code, landscape });
}

export type PosterFormat = 'pdf' | 'png';

/**
 * Makes the posters of `codes`, and of every active code of the venues `venueIds` (a venue
 * without one gets 正门), and saves them where the operator chooses in the save dialog: PDF, one
 * page a poster, or PNG, one poster. `onProgress` hears how many posters are laid out so far.
 * Resolves with the saved path; null when the operator closed the dialog or pressed 取消.
 */
export function savePosters(
  venueIds: string[],
  codes: string[],
  landscape: boolean,
  format: PosterFormat,
  onProgress: (done: number) => void,
): Promise<string | null> {
  const channel = new Channel<number>();
  channel.onmessage = onProgress;
  return call<string | null>('save_posters', { venueIds, codes, landscape, format, onProgress: channel });
}

// ---- 软件更新 ---------------------------------------------------------------------------------

/** This desk's version and the newer release its centre last offered. */
export function updateStatus(): Promise<UpdateStatus> {
  return call<UpdateStatus>('update_status');
}

/** Asks the centre now (admin only). */
export function updateCheck(): Promise<UpdateStatus> {
  return call<UpdateStatus>('update_check');
}

/**
 * Downloads the offered release, checks its signature, installs it and restarts the desk
 * (admin only). Rejects with code "release" (refused: signature, version) or a sync code.
 */
export function updateInstall(): Promise<void> {
  return call<void>('update_install');
}

/** Called with each check the desk makes by itself (at start and daily). */
export function onUpdateStatus(cb: (s: UpdateStatus) => void): Promise<() => void> {
  return listen<UpdateStatus>('update-status', (event) => cb(event.payload));
}

/**
 * The printers the system's print service (CUPS) offers, and the printer and copies to offer:
 * this desk's last choice while its printer is still there, else the system's default.
 */
export function printSetup(): Promise<PrintSetup> {
  return call<PrintSetup>('print_setup');
}

/**
 * Makes the posters as `savePosters` does and sends them straight to `printer`, `copies` of
 * each, A4. Resolves with the print job; null when 取消 stopped it before anything was printed.
 * Rejects with code "printer" when the print service refuses, "invalid" naming printer or
 * copies.
 */
export function printPosters(
  venueIds: string[],
  codes: string[],
  landscape: boolean,
  printer: string,
  copies: number,
  onProgress: (done: number) => void,
): Promise<PrintJob | null> {
  const channel = new Channel<number>();
  channel.onmessage = onProgress;
  return call<PrintJob | null>('print_posters', { venueIds, codes, landscape, printer, copies, onProgress: channel });
}

/** Stops the save or print of posters under way; it then resolves with null. */
export function cancelPosters(): Promise<void> {
  return call<void>('cancel_posters');
}

/** Opens a saved file in the system's viewer, to print from there. */
export function openFile(path: string): Promise<void> {
  return call<void>('open_file', { path });
}

// ---- truck trips (货车闭环) ------------------------------------------------------------------
// A checkpoint desk (交通卡口) opens a trip for a truck's crew; the destination's desk (目的地场所)
// closes it when the truck arrives. Which screen a desk shows follows its served venue's kind.

/** The registered destination venues whose name matches `query` (empty: all). */
export function truckDestinations(query: string): Promise<Destination[]> {
  return call<Destination[]>('truck_destinations', { query });
}

/** A plate (豫B12345) or an ID number: the crew's phone pre-declarations and the truck's last crew. */
export function truckFindCrew(query: string): Promise<CrewLookup> {
  return call<CrewLookup>('truck_find_crew', { query });
}

/**
 * Checks in every crew member and opens the trip; when anyone is not green the trip is recorded as
 * turned back (status turned_back) and the results go to refuse-and-report. Field errors: plate
 * (a trip of this truck still in transit), destination_id, pass_number, crew, crew.<i>.<key>.
 */
export function truckOpenTrip(input: TripInput): Promise<TripResult> {
  return call<TripResult>('truck_open_trip', { input });
}

/** A truck at its destination, by plate or ID number: closes its trip, or flags it without one. */
export function truckRecordArrival(query: string): Promise<Arrival> {
  return call<Arrival>('truck_record_arrival', { query });
}

/**
 * 到达核验, 劝返 or 作废 for a trip this checkpoint opened that is still in transit; final. Field
 * errors: note (required), trip (already ended).
 */
/**
 * 货车通行单: the A6 slip (PDF) of a trip in transit, saved where the operator chooses. Resolves
 * with the saved path; null when the dialog was closed.
 */
export function truckTripSlip(tripId: string): Promise<string | null> {
  return call<string | null>('truck_trip_slip', { tripId });
}

export function truckResolveTrip(input: TripResolveInput): Promise<Trip> {
  return call<Trip>('truck_resolve_trip', { input });
}

/** The trips this desk follows (open, overdue, leaving, expected, arrived, closed). */
export function truckBoard(): Promise<TripBoard> {
  return call<TripBoard>('truck_board');
}

/** After how many hours (1..72) an open trip counts as overdue (administrators only). */
export function truckSetOverdueHours(hours: number): Promise<TripBoard> {
  return call<TripBoard>('truck_set_overdue_hours', { hours });
}

// ---- the central server (中心服务器) and background sync -------------------------------------

/** Whether this desk is enrolled, and how its sync with the central server stands. */
export function syncStatus(): Promise<SyncStatus> {
  return call<SyncStatus>('sync_status');
}

/**
 * Enrols this desk with the central server at `url`, with the one-time 接入码 `token` from the
 * administrator; `caFile`: the path of a CA certificate to trust, null for the system's.
 * Also re-enrols an enrolled desk with a new token.
 */
/** `replaceRiskList`: the administrator knows a list imported here from a file gives way to the centre's. */
export function syncConnect(url: string, token: string, caFile: string | null, replaceRiskList = false): Promise<SyncStatus> {
  return call<SyncStatus>('sync_connect', { url, token, caFile, replaceRiskList });
}

/** Starts a sync now; resolves at once (the progress comes as `sync-status` events). */
export function syncNow(): Promise<SyncStatus> {
  return call<SyncStatus>('sync_now');
}

/** The records the central server refused, for an operator to resend or discard. */
export function syncRejected(): Promise<RejectedRecord[]> {
  return call<RejectedRecord[]>('sync_rejected');
}

/** Puts a refused record back in the queue (重新发送). */
export function syncRetry(id: string): Promise<SyncStatus> {
  return call<SyncStatus>('sync_retry', { id });
}

/** Discards a refused record (放弃); `note` (required, up to 200 characters) goes to the audit trail. */
/** 更正: the refused field of a refused record set to `value`, checked again and queued. */
export function syncCorrect(id: string, value: string): Promise<SyncStatus> {
  return call<SyncStatus>('sync_correct', { id, value });
}

export function syncDiscard(id: string, note: string): Promise<SyncStatus> {
  return call<SyncStatus>('sync_discard', { id, note });
}

/** The name of the event the Rust side emits with the new SyncStatus whenever it changes. */
export const SYNC_STATUS_EVENT = 'sync-status';

/**
 * Calls `cb` with each new SyncStatus (while a backlog drains, with its progress). Resolves with
 * the function that stops listening.
 */
export function onSyncStatus(cb: (s: SyncStatus) => void): Promise<() => void> {
  return listen<SyncStatus>(SYNC_STATUS_EVENT, (event) => cb(event.payload));
}
