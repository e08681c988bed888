// A tiny translation helper. `t('form.success', { name })` looks up a dotted key in the current
// language and fills in `{name}`. To add a language, write a file shaped like ./zh-CN.ts, typed
// as `Messages`, and add it to `locales`.
import en from './en';
import zhCN from './zh-CN';

type Widen<T> = T extends string
  ? string
  : T extends readonly string[]
    ? string[]
    : { [K in keyof T]: Widen<T[K]> };

/** The shape every language file must have. */
export type Messages = Widen<typeof zhCN>;

type KeysOf<T, Leaf, P extends string = ''> = {
  [K in keyof T & string]: T[K] extends Leaf
    ? `${P}${K}`
    : T[K] extends string | readonly string[]
      ? never
      : KeysOf<T[K], Leaf, `${P}${K}.`>;
}[keyof T & string];

/** Keys of single strings, e.g. 'form.submit'. */
export type MessageKey = KeysOf<Messages, string>;
/** Keys of lists of strings, e.g. 'import.columns'. */
export type MessageListKey = KeysOf<Messages, string[]>;

export type Params = Record<string, string | number>;

const locales = {
  'zh-CN': zhCN,
  en,
} satisfies Record<string, Messages>;

export type Locale = keyof typeof locales;

let current: Messages = locales['zh-CN'];
let currentLocale: Locale = 'zh-CN';

export function setLocale(locale: Locale): void {
  current = locales[locale];
  currentLocale = locale;
  if (typeof document !== 'undefined') document.documentElement.lang = locale;
}

/** Every language the desk speaks, each named in its own words. */
export const LOCALES: readonly { locale: Locale; name: string }[] = [
  { locale: 'zh-CN', name: '中文' },
  { locale: 'en', name: 'English' },
];

/** Where this desk keeps its choice of language (this laptop's, not an operator's). */
export const LOCALE_KEY = 'placecode.locale';

/** The language this desk was set to, Chinese unless English was chosen. */
export function savedLocale(): Locale {
  try {
    const saved = globalThis.localStorage?.getItem(LOCALE_KEY);
    return saved === 'en' ? 'en' : 'zh-CN';
  } catch {
    return 'zh-CN';
  }
}

/** Keeps the choice; the screens show it once the window is drawn again. */
export function saveLocale(locale: Locale): void {
  globalThis.localStorage?.setItem(LOCALE_KEY, locale);
}

export function locale(): Locale {
  return currentLocale;
}

function lookup(key: string, messages: Messages = current): unknown {
  let node: unknown = messages;
  for (const part of key.split('.')) {
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Record<string, unknown>)[part];
  }
  return node;
}

/** The text for `key`, with each `{param}` replaced; an unknown key shows as itself. */
export function t(key: MessageKey, params?: Params): string {
  return tIn(currentLocale, key, params);
}

/** [`t`] in a given language, whatever the desk's (the 扫码屏 speaks both to the queue). */
export function tIn(locale: Locale, key: MessageKey, params?: Params): string {
  const text = lookup(key, locales[locale]);
  if (typeof text !== 'string') return key;
  if (!params) return text;
  return text.replace(/\{(\w+)\}/g, (whole, name: string) =>
    Object.prototype.hasOwnProperty.call(params, name) ? String(params[name]) : whole,
  );
}

/** Names or items run together as the language does (王*、李* / 王*, 李*). */
export function joinList(items: readonly string[]): string {
  return items.join(t('punct.list'));
}

/** A list of texts, e.g. the CSV columns. */
export function tList(key: MessageListKey): string[] {
  const list = lookup(key);
  return Array.isArray(list) ? list.map(String) : [];
}
