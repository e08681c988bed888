import { tick } from 'svelte';
import { forForm, toCommandError } from './errors';

/** How a form shows a failed command. */
export interface ShowOptions<K extends string> {
  /** The element id of the field `key`, to focus the first field with an error. */
  id: (key: K) => string;
  /** Given, a signed_out error goes here instead of the banner. */
  onsignedout?: () => void;
  /** Called with the first field with an error before the form is redrawn, e.g. to empty a wrong PIN. */
  before?: (first: K) => void;
}

/**
 * What a form shows of its last failed command: messages under their fields, the rest in a
 * banner (see `forForm`). One per form; reactive.
 */
export class FormErrors {
  /** Field key → its messages. */
  fields = $state<Record<string, string[]>>({});
  /** Everything without a field, one message a line; null when there is none. */
  banner = $state<string | null>(null);

  /** Whether any field has a message. */
  get any(): boolean {
    return Object.keys(this.fields).length > 0;
  }

  /** Forgets what was shown, before the form is sent again. */
  clear(): void {
    this.fields = {};
    this.banner = null;
  }

  /** The field `key` was edited: its messages no longer apply. */
  edited = (key: string): void => {
    if (this.fields[key]) {
      const { [key]: _dropped, ...rest } = this.fields;
      this.fields = rest;
    }
  };

  /**
   * Shows what a command threw: the messages of the fields in `keys` under them, the rest in the
   * banner; once drawn, the first field with an error (in the order of `keys`) has the focus.
   */
  async show<K extends string>(raw: unknown, keys: readonly K[], options: ShowOptions<K>): Promise<void> {
    const e = toCommandError(raw);
    if (e.code === 'signed_out' && options.onsignedout) {
      options.onsignedout();
      return;
    }
    const shown = forForm(e, (k) => (keys as readonly string[]).includes(k));
    this.fields = shown.fields;
    this.banner = shown.banner;
    const first = keys.find((k) => shown.fields[k]);
    if (first) options.before?.(first);
    await tick();
    if (first) document.getElementById(options.id(first))?.focus();
  }
}
