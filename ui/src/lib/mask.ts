// Masking of personal data in lists (负责人, 联系电话). The full values are shown only in the
// edit form. Text is split into user-perceived characters (grapheme clusters), so a rare
// character outside the BMP (𠈌) or an emoji with a skin tone counts as one, never as two
// UTF-16 halves; without Intl.Segmenter it falls back to Unicode code points.

const segmenter: { segment(s: string): Iterable<{ segment: string }> } | null =
  typeof Intl !== 'undefined' && 'Segmenter' in Intl
    ? new Intl.Segmenter('zh-CN', { granularity: 'grapheme' })
    : null;

/** The characters of `s`: grapheme clusters where supported, else code points. */
export function characters(s: string): string[] {
  if (segmenter) return Array.from(segmenter.segment(s), (x) => x.segment);
  return Array.from(s);
}

const LATIN = /^\p{Script=Latin}/u;

/**
 * 负责人姓名, masked: a Chinese (or any non-Latin) name keeps its first character and every
 * other character becomes `*` (王建国 → 王**); a Latin name keeps its first letter followed by
 * `***` whatever its length (John Smith → J***).
 */
export function maskName(name: string): string {
  const chars = characters(name.trim());
  const first = chars[0];
  if (first === undefined) return '';
  if (LATIN.test(first)) return `${first}***`;
  return first + '*'.repeat(Math.max(1, chars.length - 1));
}

const FULL_WIDTH_DIGIT = /[\uFF10-\uFF19]/g;

/**
 * 联系电话, masked: a mobile keeps its first 3 and last 4 digits (138****0001); a landline keeps
 * its area code and last 4 digits (0371-****6789). Anything else keeps at most its last 4 digits.
 * Never returns the whole number.
 */
export function maskPhone(phone: string): string {
  const half = phone
    .trim()
    .replace(FULL_WIDTH_DIGIT, (d) => String.fromCharCode(d.charCodeAt(0) - 0xfee0));
  const digits = half.replace(/\D/g, '');
  if (digits === '') return '';

  const mobile = /^(?:86)?(1\d{2})\d{4}(\d{4})$/.exec(digits);
  if (mobile) return `${mobile[1]}****${mobile[2]}`;

  // Landline written with its area code, e.g. 0371-23456789, (0371)23456789 or 037123456789.
  const landline = /^(0\d{2,3})\D*(\d{7,8})$/.exec(half.replace(/[\s()（）]/g, ''));
  if (landline?.[1] && landline[2]) return `${landline[1]}-****${landline[2].slice(-4)}`;

  if (digits.length <= 4) return '*'.repeat(digits.length);
  return '*'.repeat(Math.min(digits.length - 4, 7)) + digits.slice(-4);
}
