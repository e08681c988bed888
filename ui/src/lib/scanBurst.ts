/**
 * Tells a card reader's or scanner's typing from a person's: an ID number arrives as a run of
 * digits (and X) a few milliseconds apart, ended by Enter. While a yellow or red result waits for
 * its decision, such an Enter must not act where the focus happens to be (open the report, submit
 * it): the next person was scanned too early, and nobody decided anything.
 */

/** Keys of one scan arrive at most this far apart (a person types 80 ms apart or more). */
export const SCAN_GAP_MS = 40;
/** The shortest run taken for a scan: a 永居证's 15 characters and an ID card's 18 are longer. */
export const SCAN_MIN_CHARS = 12;

export class ScanBurst {
  #run = '';
  #last = -Infinity;

  /**
   * Feeds one keydown. Returns the scanned characters when this is the Enter ending a scan (the
   * caller swallows it), otherwise `null`.
   */
  feed(event: KeyboardEvent, now: number = performance.now()): string | null {
    const quick = now - this.#last <= SCAN_GAP_MS;
    this.#last = now;
    if (event.key === 'Enter') {
      const run = this.#run;
      this.#run = '';
      return quick && run.length >= SCAN_MIN_CHARS ? run : null;
    }
    if (/^[0-9Xx]$/.test(event.key) && !event.altKey && !event.ctrlKey && !event.metaKey) {
      this.#run = quick ? this.#run + event.key : event.key;
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
