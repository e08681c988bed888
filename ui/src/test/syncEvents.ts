// The `sync-status` events in component tests: with `vi.mock('../lib/api')`, `onSyncStatus`
// hands its callback here, and `emit` calls every callback still listening.
import { vi, type Mock } from 'vitest';
import * as api from '../lib/api';
import type { SyncStatus } from '../lib/types';

export interface SyncEvents {
  /** Sends a status to every listener, as the Rust side's event would. */
  emit: (s: SyncStatus) => void;
  /** How many listeners are in place. */
  listening: () => number;
  /** Called once for each listener removed. */
  unlisten: Mock<() => void>;
}

export function mockSyncEvents(): SyncEvents {
  const listeners = new Set<(s: SyncStatus) => void>();
  const unlisten = vi.fn<() => void>();
  vi.mocked(api.onSyncStatus).mockImplementation(async (cb) => {
    listeners.add(cb);
    return () => {
      listeners.delete(cb);
      unlisten();
    };
  });
  return {
    emit: (s) => {
      for (const cb of [...listeners]) cb(s);
    },
    listening: () => listeners.size,
    unlisten,
  };
}
