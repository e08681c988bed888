import { t } from './i18n';
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
