/**
 * Tells a card reader's or scanner's typing from a person's: an ID number arrives as a run of
 * digits (and X) a few milliseconds apart, ended by Enter. While a yellow or red result waits for
 * its decision, such an Enter must not act where the focus happens to be (open the report, submit
 * it): the next person was scanned too early, and nobody decided anything.
 *
 * The run is judged by its average pace, not by each gap: a busy laptop may hold one key of a
 * scan back by a hundred milliseconds, while a person, however quick, averages 80 ms or more.
 */

/** A scan's keys come at most this far apart on average (a person types 80 ms apart or more)… */
export const SCAN_AVERAGE_MS = 40;
/** …none more than this after the one before, Enter included. */
export const SCAN_PAUSE_MS = 150;
/** The shortest run taken for a scan: a 永居证's 15 characters and an ID card's 18 are longer. */
export const SCAN_MIN_CHARS = 12;

export class ScanBurst {
  #run = '';
  #start = 0;
  #last = -Infinity;

  /**
   * Feeds one keydown. Returns the scanned characters when this is the Enter ending a scan (the
   * caller swallows it), otherwise `null`.
   */
  feed(event: KeyboardEvent, now: number = performance.now()): string | null {
    const follows = now - this.#last <= SCAN_PAUSE_MS;
    this.#last = now;
    if (event.key === 'Enter') {
      const run = this.#run;
      this.#run = '';
      const paced = (now - this.#start) / Math.max(run.length, 1) <= SCAN_AVERAGE_MS;
      return follows && run.length >= SCAN_MIN_CHARS && paced ? run : null;
    }
    if (/^[0-9Xx]$/.test(event.key) && !event.altKey && !event.ctrlKey && !event.metaKey) {
      if (follows && this.#run !== '') {
        this.#run += event.key;
      } else {
        this.#run = event.key;
        this.#start = now;
      }
    } else if (event.key !== 'Shift') {
      this.#run = '';
    }
    return null;
  }
}

/**
 * Takes a scan's characters back out of the text field they were typed into (a note, a place),
 * so what stays there is what the clerk typed.
 */
export function unscan(target: EventTarget | null, run: string): void {
  if (!(target instanceof HTMLInputElement || target instanceof HTMLTextAreaElement)) return;
  if (!target.value.endsWith(run)) return;
  target.value = target.value.slice(0, target.value.length - run.length);
  target.dispatchEvent(new Event('input', { bubbles: true }));
}
