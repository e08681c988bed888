import { onSyncStatus, syncStatus } from './api';
import { toCommandError } from './errors';
import { follow } from './follow';
import { t } from './i18n';
import type { SyncStatus } from './types';

/**
 * Calls `cb` with each `sync-status` event until the returned function is called (a component's
 * onMount cleanup); see `follow`. Outside Tauri the status stays as loaded and as commands
 * return it.
 */
export function followSyncStatus(cb: (s: SyncStatus) => void): () => void {
  return follow(onSyncStatus, cb);
}

/**
 * The live SyncStatus of one component: loaded once, then kept by the `sync-status` events and
 * by what sync commands return. `onMount(() => watch.start())` starts and stops it.
 */
export class SyncWatch {
  status = $state<SyncStatus | null>(null);
  /** Why the status could not be loaded; null once there is one. */
  loadError = $state<string | null>(null);
  /** The time ages are measured against (最早一条已等待…), moved on every half minute. */
  now = $state(Date.now());
  /** A newer status arrived (an event, a command) before the first load answered. */
  #newer = false;

  /** A status newer than what is shown (from an event or a command's answer). */
  set = (s: SyncStatus): void => {
    this.#newer = true;
    this.status = s;
    this.loadError = null;
    this.now = Date.now();
  };

  start = (): (() => void) => {
    const stopFollowing = followSyncStatus(this.set);
    const timer = setInterval(() => (this.now = Date.now()), 30_000);
    void this.load();
    return () => {
      stopFollowing();
      clearInterval(timer);
    };
  };

  async load(): Promise<void> {
    try {
      const s = await syncStatus();
      if (!this.#newer) {
        this.status = s;
        this.loadError = null;
        this.now = Date.now();
      }
    } catch (raw) {
      if (this.status === null) this.loadError = t('sync.loadFailed', { message: toCommandError(raw).message });
    }
  }
}

/**
 * Calls `cb` whenever a sync ends or what waits changes (the records pending, the last success):
 * a list showing each row's 同步 loads again, so no row stays 未同步 after the header says
 * nothing waits. Not for the first status heard. Returns the function that stops it.
 */
export function followSyncEnds(cb: () => void): () => void {
  let last: string | null = null;
  let syncing = false;
  return followSyncStatus((s) => {
    const ended = syncing && !s.syncing;
    syncing = s.syncing;
    if (s.syncing) return;
    const mark = `${s.last_ok_at ?? ''}|${s.pending}`;
    const first = last === null;
    const changed = mark !== last;
    last = mark;
    if (!first && (changed || ended)) cb();
  });
}
