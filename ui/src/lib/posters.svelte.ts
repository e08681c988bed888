import { cancelPosters, openFile, printPosters, savePosters, venueCodes, type PosterFormat } from './api';
import { toCommandError } from './errors';
import type { PrintJob } from './types';

/** What to make posters of, and how. */
export interface PosterRequest {
  /** Every active code of these venues (a venue without one gets 正门). */
  venueIds: string[];
  /** And these codes. */
  codes: string[];
  landscape: boolean;
  format: PosterFormat;
}

/**
 * How many posters a request makes: one a code, and for each venue one per active code, or one
 * (正门) when it has none. Null when the codes could not be read.
 */
export async function countPosters(request: PosterRequest): Promise<number | null> {
  try {
    const lists = await Promise.all(request.venueIds.map((id) => venueCodes(id)));
    const perVenue = lists.map((codes) => Math.max(1, codes.filter((c) => c.revoked_at === null).length));
    return perVenue.reduce((a, b) => a + b, request.codes.length);
  } catch {
    return null;
  }
}

/** Where 打印 sends posters. */
export interface PrintTarget {
  printer: string;
  copies: number;
}

/**
 * Saving posters through the save dialog, or printing them, one at a time: how far it is, 取消,
 * and where the file or the print went. Reactive; PosterSave shows it.
 */
export class PosterJob {
  /** A save is under way (the dialog is open, or posters are being made). */
  running = $state(false);
  /** The format of the save under way or last made. */
  format = $state<PosterFormat>('pdf');
  /** Posters laid out so far; null until the first is. */
  done = $state<number | null>(null);
  /** How many posters the save makes; null while not known. */
  total = $state<number | null>(null);
  /** 取消 was pressed. */
  cancelling = $state(false);
  /** Where the last save went. */
  saved = $state<string | null>(null);
  /** The last print, as the print service accepted it. */
  printed = $state<PrintJob | null>(null);
  /** The last save or print ended without a file or a print: the dialog was closed, or 取消. */
  notSaved = $state(false);
  /** Whether the job under way, or the last, prints (else it saves). */
  printing = $state(false);
  /** What the last save or print, or opening its file, failed with. */
  error = $state<string | null>(null);
  /** The fields the last print's refusal named (printer, copies). */
  fields = $state<string[]>([]);

  #onsignedout: (() => void) | undefined;
  #generation = 0;

  /** `onsignedout`: where a signed_out error goes instead of `error`. */
  constructor(onsignedout?: () => void) {
    this.#onsignedout = onsignedout;
  }

  /** Makes and saves the posters; resolves when the save is over, whatever its outcome. */
  save = (request: PosterRequest): Promise<void> =>
    this.#run(request, false, async (progress) => {
      const path = await savePosters(request.venueIds, request.codes, request.landscape, request.format, progress);
      if (path === null) this.notSaved = true;
      else this.saved = path;
    });

  /** Makes the posters and prints them; resolves when the print is handed over, or failed. */
  print = (request: PosterRequest, target: PrintTarget): Promise<void> =>
    this.#run({ ...request, format: 'pdf' }, true, async (progress) => {
      const job = await printPosters(
        request.venueIds,
        request.codes,
        request.landscape,
        target.printer,
        target.copies,
        progress,
      );
      if (job === null) this.notSaved = true;
      else this.printed = job;
    });

  #run = async (
    request: PosterRequest,
    printing: boolean,
    act: (progress: (done: number) => void) => Promise<void>,
  ): Promise<void> => {
    if (this.running) return;
    const run = ++this.#generation;
    this.running = true;
    this.printing = printing;
    this.format = request.format;
    this.done = null;
    this.total = request.venueIds.length === 0 ? request.codes.length : null;
    this.cancelling = false;
    this.saved = null;
    this.printed = null;
    this.notSaved = false;
    this.error = null;
    this.fields = [];
    if (this.total === null) {
      void countPosters(request).then((n) => {
        if (run === this.#generation && this.running) this.total = n;
      });
    }
    try {
      await act((done) => {
        if (run === this.#generation) this.done = Math.max(done, this.done ?? 0);
      });
    } catch (raw) {
      const e = toCommandError(raw);
      if (e.code === 'signed_out' && this.#onsignedout) this.#onsignedout();
      else {
        this.error = e.message;
        this.fields = e.fields.map((f) => f.field);
      }
    } finally {
      this.running = false;
      this.cancelling = false;
    }
  };

  /** 取消: the save stops at the next poster and saves nothing. */
  cancel = async (): Promise<void> => {
    if (!this.running || this.cancelling) return;
    this.cancelling = true;
    try {
      await cancelPosters();
    } catch (raw) {
      this.cancelling = false;
      this.error = toCommandError(raw).message;
    }
  };

  /** Opens the saved file in the system's viewer. */
  open = async (): Promise<void> => {
    if (this.saved === null) return;
    this.error = null;
    try {
      await openFile(this.saved);
    } catch (raw) {
      this.error = toCommandError(raw).message;
    }
  };

  /** Forgets the outcome of the last save (another action started). */
  forget = (): void => {
    if (this.running) return;
    this.saved = null;
    this.printed = null;
    this.notSaved = false;
    this.error = null;
    this.fields = [];
  };
}
