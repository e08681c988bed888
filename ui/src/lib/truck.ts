// 货车闭环 at the desk: what the checkpoint's entry form holds (kept by App while other tabs are
// open, like the check-in desk), and the small rules the truck screens share.
import { toCommandError } from './errors';
import type {
  CheckInResult,
  CommandError,
  CrewField,
  Destination,
  FieldError,
  TripInput,
  TruckDeclarationInput,
} from './types';
import { CREW_MAX } from './bindings/limits';

/** At most this many people in one truck's crew: the core's limit, generated. */
export const TRUCK_MAX_CREW = CREW_MAX;

/** One crew member in the form, with a key that stays while others are removed. */
export interface CrewDraft {
  key: number;
  member: TruckDeclarationInput;
}

/** The checkpoint's entry form (入口登记). */
export interface TripDraft {
  plate: string;
  pass_number: string;
  /** The destination picked from the list; null until one is. */
  destination: Destination | null;
  /** What is typed in the destination picker (the picked one's name once picked). */
  destinationText: string;
  /** The driver first, then the passengers. */
  crew: CrewDraft[];
  /** The phone pre-declaration this entry confirms. */
  predeclaration_id: string | null;
  /** The clerk checked that this truck or its crew was turned back lately (已核实劝返记录). */
  turned_back_checked: boolean;
}

export type TruckMode =
  /** The find box, the entry form and the board. */
  | { kind: 'form' }
  /** Someone of the crew is not green: the result screen, to refuse and report (R7). */
  | { kind: 'result'; results: CheckInResult[]; plate?: string };

export interface TruckDeskState {
  mode: TruckMode;
  draft: TripDraft;
  /** What is in the find box. */
  find: string;
}

let nextKey = 1;

export function blankMember(plate = ''): TruckDeclarationInput {
  return {
    name: '',
    document_kind: 'resident_id',
    document_number: '',
    plate,
    phone: '',
    origin: '',
    entry_point: '',
    expected_return: '',
    expected_departure: '',
    // Asked, never assumed (R5).
    symptoms: null,
    visited_risk_area: null,
  };
}

/**
 * Another member of the same truck: the trip's facts (来源地, 入豫地, the expected times) are
 * the driver's, brought in for the clerk to check rather than typed again.
 */
export function nextMember(draft: TripDraft): TruckDeclarationInput {
  const driver = draft.crew[0]?.member;
  const m = blankMember(draft.plate);
  if (driver === undefined) return m;
  return {
    ...m,
    origin: driver.origin,
    entry_point: driver.entry_point,
    expected_return: driver.expected_return,
    expected_departure: driver.expected_departure,
  };
}

export function newCrewDraft(member: TruckDeclarationInput = blankMember()): CrewDraft {
  return { key: nextKey++, member };
}

export function blankTrip(): TripDraft {
  return {
    plate: '',
    pass_number: '',
    destination: null,
    destinationText: '',
    crew: [newCrewDraft()],
    predeclaration_id: null,
    turned_back_checked: false,
  };
}

export function blankTruckDesk(): TruckDeskState {
  return { mode: { kind: 'form' }, draft: blankTrip(), find: '' };
}

/**
 * The form with `crew` in it for `plate`, keeping the destination and pass number already
 * entered. A pre-declaration is taken as declared; a previous trip's crew (`fresh`) brings the
 * people only: its expected times and health answers are this trip's to ask again.
 */
export function withCrew(
  draft: TripDraft,
  plate: string,
  crew: readonly TruckDeclarationInput[],
  predeclarationId: string | null,
  fresh = false,
): TripDraft {
  const members = crew.slice(0, TRUCK_MAX_CREW).map(
    (m): TruckDeclarationInput => ({
      ...m,
      document_kind: m.document_kind ?? 'resident_id',
      plate,
      ...(fresh ? { expected_return: '', expected_departure: '', symptoms: null, visited_risk_area: null } : {}),
    }),
  );
  return {
    ...draft,
    plate,
    crew: (members.length > 0 ? members : [blankMember(plate)]).map((m) => newCrewDraft(m)),
    predeclaration_id: predeclarationId,
  };
}

/** What truck_open_trip is sent: each member's plate is the trip's. */
export function tripInput(draft: TripDraft): TripInput {
  const plate = draft.plate.trim();
  return {
    plate,
    crew: draft.crew.map((c) => ({ ...c.member, plate })),
    pass_number: draft.pass_number.trim(),
    destination_id: draft.destination?.id ?? '',
    predeclaration_id: draft.predeclaration_id,
    turned_back_checked: draft.turned_back_checked,
  };
}

/** The backend's key of a crew member's field: "crew.1.phone". */
export function crewKey(index: number, key: CrewField | 'plate'): string {
  return `crew.${index}.${key}`;
}

const CREW_PLATE = /^crew\.\d+\.plate$/;

/**
 * The form has one plate for the whole crew: a member's plate error ("crew.0.plate") is shown
 * under it, once however many members it was found for.
 */
export function foldPlateErrors(raw: unknown): CommandError {
  const e = toCommandError(raw);
  const fields: FieldError[] = [];
  for (const f of e.fields) {
    const field = CREW_PLATE.test(f.field) ? 'plate' : f.field;
    if (!fields.some((g) => g.field === field && g.message === f.message)) fields.push({ field, message: f.message });
  }
  return { ...e, fields };
}

/** 王建国 → 王** (R12), for names the desk holds in full (a pre-declaration). */
export function maskName(name: string): string {
  const [first, ...rest] = Array.from(name.trim());
  return first === undefined ? '' : first + '*'.repeat(rest.length);
}

/** Whole hours from `iso` to `now`; 0 for a time in the future or not a time. */
export function hoursSince(iso: string, now: number): number {
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) return 0;
  return Math.max(0, Math.floor((now - ms) / 3_600_000));
}

/** A Chinese plate starts with the province's character (豫B12345); an ID number does not. */
export function looksLikePlate(query: string): boolean {
  return /^[\u4e00-\u9fff]/.test(query.trim());
}

/** A document number as typed into the find box (letters and digits, 6 to 20), not a plate. */
export function looksLikeDocument(query: string): boolean {
  return /^[0-9A-Za-z]{6,20}$/.test(query.replace(/\s/g, ''));
}

/** Whether two plates as typed are the same truck (case, spaces and the middle dot ignored). */
export function samePlate(a: string, b: string): boolean {
  const norm = (p: string) => p.replace(/[\s·•.-]/g, '').toUpperCase();
  return norm(a) !== '' && norm(a) === norm(b);
}
