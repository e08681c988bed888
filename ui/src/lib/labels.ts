import { t } from './i18n';
import type { IncidentStatus, WayIn } from './types';

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
