// Times as the desk shows them: China Standard Time (Asia/Shanghai, UTC+8, no daylight saving,
// so a fixed offset is exact and does not depend on the machine's time zone or ICU data).

const SHANGHAI_OFFSET_MS = 8 * 60 * 60 * 1000;

function shanghai(iso: string): Date | null {
  const ms = Date.parse(iso);
  return Number.isNaN(ms) ? null : new Date(ms + SHANGHAI_OFFSET_MS);
}

const pad = (n: number): string => String(n).padStart(2, '0');

/** 14:03:22 (or 14:03 without seconds) in Shanghai time; "" for a value that is not a time. */
export function clockTime(iso: string, seconds = true): string {
  const d = shanghai(iso);
  if (!d) return '';
  const hm = `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}`;
  return seconds ? `${hm}:${pad(d.getUTCSeconds())}` : hm;
}

/** 2026-11-27 14:03 in Shanghai time; "" for a value that is not a time. */
export function dateTime(iso: string): string {
  const d = shanghai(iso);
  if (!d) return '';
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ${clockTime(iso, false)}`;
}

/** 11-27 14:03, or just 14:03 when it is the same Shanghai day as `now`. */
export function shortDateTime(iso: string, now: Date = new Date()): string {
  const d = shanghai(iso);
  if (!d) return '';
  const today = new Date(now.getTime() + SHANGHAI_OFFSET_MS);
  const sameDay =
    d.getUTCFullYear() === today.getUTCFullYear() &&
    d.getUTCMonth() === today.getUTCMonth() &&
    d.getUTCDate() === today.getUTCDate();
  const hm = clockTime(iso, false);
  return sameDay ? hm : `${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ${hm}`;
}

/** The Shanghai day of `now` as 2026-11-27. */
export function shanghaiDay(now: Date = new Date()): string {
  const d = new Date(now.getTime() + SHANGHAI_OFFSET_MS);
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`;
}

/**
 * The day `n` days after `day`, or null when `day` is not a real day. Typed loosely: full-width
 * digits, 2026/11/27, 2026.11.27 or 2026年11月27日 mean 2026-11-27; 2026-02-29 is no day.
 */
export function addDays(day: string, n: number): string | null {
  const half = day.trim().replace(/[\uFF10-\uFF19\uFF0D\uFF0F\uFF0E]/g, (c) => String.fromCharCode(c.charCodeAt(0) - 0xfee0));
  const m = /^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?$/.exec(half);
  if (!m) return null;
  const [y, mo, da] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const exact = new Date(Date.UTC(y, mo - 1, da));
  if (exact.getUTCFullYear() !== y || exact.getUTCMonth() !== mo - 1 || exact.getUTCDate() !== da) return null;
  const d = new Date(Date.UTC(y, mo - 1, da + n));
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`;
}
