import { t } from './i18n';
import { shortcutOf } from './panels';
import type { CommandError, FieldError, Venue } from './types';

/**
 * Turns anything a command can throw into a CommandError the UI can show. The Rust side rejects
 * with a CommandError object; anything else (a panic's string, a missing command, a JS error)
 * becomes a generic "internal" error, never a raw technical message.
 * Idempotent: a CommandError comes back unchanged in content.
 */
export function toCommandError(raw: unknown): CommandError {
  if (raw !== null && typeof raw === 'object') {
    const o = raw as Record<string, unknown>;
    if (typeof o.code === 'string' && o.code !== '') {
      return {
        code: o.code,
        message:
          typeof o.message === 'string' && o.message.trim() !== ''
            ? o.message
            : t('errors.internal'),
        fields: Array.isArray(o.fields) ? o.fields.filter(isFieldError) : [],
        similar: Array.isArray(o.similar) ? (o.similar as Venue[]) : [],
      };
    }
  }
  return { code: 'internal', message: t('errors.internal'), fields: [], similar: [] };
}

function isFieldError(x: unknown): x is FieldError {
  if (x === null || typeof x !== 'object') return false;
  const f = x as Record<string, unknown>;
  return typeof f.field === 'string' && typeof f.message === 'string';
}

/** What a form shows for a failed command: messages under their fields, the rest in a banner. */
export interface ShownError {
  /** Field key → its messages, for the keys the form has a field for. */
  fields: Record<string, string[]>;
  /** Everything else, one message a line; null when every message has its field. */
  banner: string | null;
}

/**
 * Splits a CommandError for a form: field errors whose key `hasField` accepts go under their
 * field, any other (an unknown key, or an error without fields) goes to the banner. The
 * "venue" key (no served venue set) gets a hint where to set one.
 */
export function forForm(e: CommandError, hasField: (key: string) => boolean): ShownError {
  const fields: Record<string, string[]> = {};
  const other: string[] = [];
  for (const f of e.fields) {
    if (hasField(f.field)) (fields[f.field] ??= []).push(f.message);
    else if (f.field === 'venue') other.push(`${f.message}\n${venueHint()}`);
    else other.push(f.message);
  }
  if (e.fields.length === 0) {
    other.push(e.message);
  }
  return { fields, banner: other.length > 0 ? other.join('\n') : null };
}

/** Where to set the served venue, with the tab's shortcut. */
export function venueHint(): string {
  return t('checkin.venueHint', { key: shortcutOf('venues') });
}
