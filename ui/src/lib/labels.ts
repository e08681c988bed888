import { t } from './i18n';
import type { IncidentStatus, WayIn } from './types';

/** The store's entrance of check-ins made at the desk without a code (`DESK_ENTRANCE`). */
const DESK_ENTRANCE = '登记台';

/** An entrance as the lists show it: the desk's own in the desk's language, a code's as labelled. */
export function entranceLabel(label: string): string {
  return label === DESK_ENTRANCE ? t('occupancy.deskEntrance') : label;
}

/**
 * A whole number as typed, full-width digits (a Chinese IME) read as digits, at most `maxDigits`
 * of them; null for anything else (a sign, a decimal point, letters, nothing).
 */
export function wholeNumber(text: string, maxDigits: number): number | null {
  const typed = text.trim().replace(/[０-９]/g, (d) => String.fromCharCode(d.charCodeAt(0) - 0xfee0));
  return new RegExp(`^\\d{1,${maxDigits}}$`).test(typed) ? Number(typed) : null;
}

/** 刷证/输入证号, 后四位, 首次申报, 手工登记 */
export function wayInLabel(way: WayIn): string {
  return t(`wayIn.${way}`);
}

/**
 * Only a record the backend marked "synced" counts as synced; anything else (pending, failed,
 * a state this UI does not know yet) shows as 未同步, never as confirmed.
 */
export function isSynced(syncState: string): boolean {
  return syncState === 'synced';
}

export function syncLabel(syncState: string): string {
  return isSynced(syncState) ? t('sync.synced') : t('sync.pending');
}

export function statusLabel(status: IncidentStatus): string {
  return t(`incidents.status.${status}`);
}

/** The status an incident moves to next (临时隔离 → 已上报 → 已闭环转运); null once handed over or released. */
export function nextStatus(status: IncidentStatus): 'reported' | 'handed_over' | null {
  if (status === 'isolated') return 'reported';
  if (status === 'reported') return 'handed_over';
  return null;
}
