import { describe, expect, it } from 'vitest';
import { notEnrolled, syncStatus } from '../test/fixtures';
import { clockWarning, connectionLabel, pendingText, syncTone, waitedFor } from './sync';

const NOW = Date.parse('2026-11-27T06:00:00Z');
const ago = (ms: number): string => new Date(NOW - ms).toISOString();
const MIN = 60_000;
const HOUR = 60 * MIN;

describe('syncTone', () => {
  it('is green only when online with nothing waiting', () => {
    expect(syncTone(syncStatus())).toBe('ok');
  });

  it('is amber while records wait, even online and without an error', () => {
    expect(syncTone(syncStatus({ pending: 1, oldest_pending_at: ago(MIN) }))).toBe('warn');
  });

  it('is amber offline, and red when there is an error', () => {
    expect(syncTone(syncStatus({ online: false }))).toBe('warn');
    expect(syncTone(syncStatus({ online: false, error: { code: 'unreachable', message: '无法连接中心服务器' } }))).toBe(
      'error',
    );
  });

  it('is red when the server refused records', () => {
    expect(syncTone(syncStatus({ rejected: 2 }))).toBe('error');
  });

  it('is amber when the clock is off by more than a minute', () => {
    expect(syncTone(syncStatus({ clock_offset_ms: 60_001 }))).toBe('warn');
    expect(syncTone(syncStatus({ clock_offset_ms: -60_000 }))).toBe('ok');
  });

  it('is grey when not enrolled or not tried yet, but amber if records wait', () => {
    expect(syncTone(notEnrolled())).toBe('off');
    expect(syncTone(syncStatus({ online: null }))).toBe('off');
    expect(syncTone(notEnrolled({ pending: 3 }))).toBe('warn');
  });
});

describe('connectionLabel', () => {
  it('names the four states', () => {
    expect(connectionLabel(notEnrolled())).toBe('未接入中心');
    expect(connectionLabel(syncStatus({ online: null }))).toBe('尚未连接');
    expect(connectionLabel(syncStatus({ online: true }))).toBe('在线');
    expect(connectionLabel(syncStatus({ online: false }))).toBe('离线');
  });

  it('says it is reconnecting while an offline desk tries again', () => {
    expect(connectionLabel(syncStatus({ online: false, syncing: true }))).toBe('正在重新连接…');
    expect(connectionLabel(syncStatus({ online: true, syncing: true }))).toBe('在线');
  });
});

describe('clockWarning', () => {
  it('warns beyond ±60 seconds, in whole minutes', () => {
    expect(clockWarning(null)).toBeNull();
    expect(clockWarning(59_000)).toBeNull();
    expect(clockWarning(-60_000)).toBeNull();
    expect(clockWarning(185_000)).toBe('本机时钟与服务器相差3分钟，请校准');
    expect(clockWarning(-7_200_000)).toBe('本机时钟与服务器相差120分钟，请校准');
  });
});

describe('waitedFor', () => {
  it('says minutes, hours or days', () => {
    expect(waitedFor(ago(20_000), NOW)).toBe('不到1分钟');
    expect(waitedFor(ago(25 * MIN + 5_000), NOW)).toBe('25分钟');
    expect(waitedFor(ago(3 * HOUR + 59 * MIN), NOW)).toBe('3小时');
    expect(waitedFor(ago(50 * HOUR), NOW)).toBe('2天');
  });

  it('treats a time in the future (a clock off) as just now', () => {
    expect(waitedFor(ago(-5 * MIN), NOW)).toBe('不到1分钟');
  });
});

describe('pendingText', () => {
  it('gives the count and the age of the oldest', () => {
    expect(pendingText(syncStatus({ pending: 12, oldest_pending_at: ago(3 * HOUR) }), NOW)).toBe(
      '未同步 12 条，最早一条已等待3小时',
    );
    expect(pendingText(syncStatus({ pending: 1, oldest_pending_at: null }), NOW)).toBe('未同步 1 条');
    expect(pendingText(syncStatus({ pending: 0 }), NOW)).toBeNull();
  });
});
