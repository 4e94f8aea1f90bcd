// Every report field is attacker input: it may be huge, hold control characters meant to forge log lines or
// terminal escapes, or carry secrets in query strings. These helpers make a field safe to store and log.

// C0 and C1 controls, DEL, line/paragraph separators, bidi overrides and isolates, zero-width and BOM characters.
// eslint-disable-next-line no-control-regex
const unsafeCharacters = /[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]/g;

/** A string field: non-strings become '', unsafe characters are removed, and the length is capped. */
export function cleanText(value: unknown, maxLength: number): string {
  if (typeof value !== 'string') return '';
  const capped = value.length > maxLength * 2 ? value.slice(0, maxLength * 2) : value;
  const cleaned = capped.replace(unsafeCharacters, '');
  return cleaned.length > maxLength ? cleaned.slice(0, maxLength) : cleaned;
}

/**
 * A URL field: cleaned like text, then cut at the first `?` or `#` (query strings and fragments of documents and
 * scripts can hold reset tokens, session ids or e-mail addresses) unless the caller keeps them.
 */
export function cleanUrl(value: unknown, maxLength: number, keepQuery: boolean): string {
  const text = cleanText(value, keepQuery ? maxLength : maxLength * 4);
  if (keepQuery) return text;
  const cut = text.search(/[?#]/);
  const stripped = cut === -1 ? text : text.slice(0, cut);
  return stripped.length > maxLength ? stripped.slice(0, maxLength) : stripped;
}

/** A whole number in range, or undefined. Accepts numbers and numeric strings (some browsers send strings). */
export function cleanInteger(value: unknown, max: number): number | undefined {
  const number = typeof value === 'string' && /^\d{1,10}$/.test(value) ? Number(value) : value;
  if (typeof number !== 'number' || !Number.isSafeInteger(number) || number < 0 || number > max)
    return undefined;
  return number;
}

/** The origin of a blocked URL for the aggregate, or the keyword itself (`inline`, `eval`, `data`, ...). */
export function blockedOrigin(blockedUrl: string): string {
  if (blockedUrl === '') return '(none)';
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(blockedUrl);
  if (!scheme) return blockedUrl.toLowerCase().slice(0, 64);
  const name = scheme[1]!.toLowerCase();
  if (name !== 'http' && name !== 'https' && name !== 'ws' && name !== 'wss') return `${name}:`;
  try {
    return new URL(blockedUrl).origin;
  } catch {
    return `${name}:`;
  }
}
