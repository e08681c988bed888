// What the check-in desk (登记台) is showing, kept by App while other tabs are open so a
// half-typed declaration or a result waiting for the operator is still there on return.
import type { Candidate, CheckInResult, DeclarationInput, Lookup } from './types';
import { MANUAL_MAX_PEOPLE as MAX_PEOPLE } from './bindings/limits';

export interface GuardianDraft {
  name: string;
  document_number: string;
  phone: string;
}

/** One person of a manual registration, with a key that stays while others are removed. */
export interface PersonDraft {
  key: number;
  person: DeclarationInput;
  /** Who the guardian is to this person (父亲, 儿子), asked when a guardian registers them. */
  relation: string;
}

export interface ManualDraft {
  helper: 'operator' | 'guardian';
  guardian: GuardianDraft;
  people: PersonDraft[];
}

export type DeskMode =
  /** Waiting for an ID number or last four. */
  | { kind: 'idle' }
  /** Several people share the last four: pick one, or narrow by birth year. */
  | { kind: 'choose'; digits: string; candidates: Candidate[] }
  /** Checked in here moments ago: Enter records again, Esc does not. */
  | { kind: 'repeat'; repeat: Extract<Lookup, { outcome: 'repeat' }> }
  /** 首次登记 for an unknown ID number. */
  | { kind: 'declare'; person: DeclarationInput }
  /** 手工登记 (R6). */
  | { kind: 'manual'; draft: ManualDraft }
  /** The result screen (R7): one person, or everyone of a manual registration. */
  | { kind: 'result'; results: CheckInResult[] };

export interface DeskState {
  mode: DeskMode;
  /** What is in the scan box. */
  typed: string;
}

export function blankDesk(): DeskState {
  return { mode: { kind: 'idle' }, typed: '' };
}

/** At most this many people in one manual registration: the core's limit, generated. */
export const MANUAL_MAX_PEOPLE = MAX_PEOPLE;

/** Full-width digits and Latin letters, as a Chinese IME types them. */
const FULL_WIDTH = /[\uFF10-\uFF19\uFF21-\uFF3A\uFF41-\uFF5A]/g;

/**
 * How the desk reads what was typed in the scan box: four letters or digits are the last four of
 * a returning visitor (no document number is that short); anything else is a full document
 * number for the backend to check and tell the kind of. Spaces and full-width characters (a
 * Chinese IME) are allowed.
 */
export function classify(typed: string): { kind: 'last4'; digits: string } | { kind: 'id'; idNumber: string } | null {
  const compact = typed
    .replace(/\s+/g, '')
    .replace(FULL_WIDTH, (d) => String.fromCharCode(d.charCodeAt(0) - 0xfee0));
  if (compact === '') return null;
  if (/^[0-9A-Za-z]{4}$/.test(compact)) return { kind: 'last4', digits: compact.toUpperCase() };
  return { kind: 'id', idNumber: compact };
}
