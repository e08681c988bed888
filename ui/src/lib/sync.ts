// How the desk's sync with the central server reads to the staff: the words and the colour of
// a SyncStatus. Records that have not reached the server never look like success.
import { t } from './i18n';
import type { SyncStatus } from './types';

/** A clock further off the server's than this (either way) is shown as a warning. */
export const CLOCK_WARN_MS = 60_000;

const MINUTE_MS = 60_000;

/**
 * How the strip is coloured: `error` (red) on an error or records the server refused, `warn`
 * (amber) while records wait, offline, or the clock is off, `ok` (green) only when online with
 * nothing waiting, `off` (grey) when not enrolled or not tried yet with nothing waiting.
 */
export type SyncTone = 'off' | 'ok' | 'warn' | 'error';

export function syncTone(s: SyncStatus): SyncTone {
  if (s.error !== null || s.rejected > 0) return 'error';
  if (s.pending > 0 || clockWarning(s.clock_offset_ms) !== null) return 'warn';
  if (!s.enrolled) return 'off';
  if (s.online === false) return 'warn';
  return s.online === true ? 'ok' : 'off';
}

/** 未接入中心, 在线, 离线, or 尚未连接 before the first attempt. */
export function connectionLabel(s: SyncStatus): string {
  if (!s.enrolled) return t('sync.notEnrolled');
  if (s.online === null) return t('sync.untried');
  // Offline, and trying again now: not "离线" beside "正在同步…".
  if (!s.online && s.syncing) return t('sync.reconnecting');
  return s.online ? t('sync.online') : t('sync.offline');
}

/** "本机时钟与服务器相差3分钟，请校准"; null within a minute, or when not known. */
export function clockWarning(offsetMs: number | null): string | null {
  if (offsetMs === null || Math.abs(offsetMs) <= CLOCK_WARN_MS) return null;
  return t('sync.clock', { minutes: Math.round(Math.abs(offsetMs) / MINUTE_MS) });
}

/** How long since `iso` at `now` (ms): 不到1分钟, 25分钟, 3小时, 2天. */
export function waitedFor(iso: string, now: number): string {
  const at = Date.parse(iso);
  const minutes = Number.isNaN(at) ? 0 : Math.floor(Math.max(0, now - at) / MINUTE_MS);
  if (minutes < 1) return t('sync.age.moment');
  if (minutes < 60) return t('sync.age.minutes', { n: minutes });
  const hours = Math.floor(minutes / 60);
  if (hours < 24) return t('sync.age.hours', { n: hours });
  return t('sync.age.days', { n: Math.floor(hours / 24) });
}

/** "未同步 12 条，最早一条已等待3小时"; null when nothing waits. */
export function pendingText(s: SyncStatus, now: number): string | null {
  if (s.pending <= 0) return null;
  const count = t('sync.pendingCount', { n: s.pending });
  return s.oldest_pending_at ? t('sync.oldest', { count, age: waitedFor(s.oldest_pending_at, now) }) : count;
}
