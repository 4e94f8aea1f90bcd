import { invalidContext } from './errors.js';

/** What a sealed value is bound to: who owns it, which row holds it, what it is for. */
export type EncryptionContext = Readonly<Record<string, string>>;

const maxEntries = 64;
const maxFieldBytes = 4096;
// In a `u` regex a surrogate pair is one code point, so this matches only lone (ill-formed) surrogates.
const loneSurrogate = /\p{Cs}/u;

function u32(value: number): Buffer {
  const out = Buffer.allocUnsafe(4);
  out.writeUInt32BE(value, 0);
  return out;
}

/**
 * The canonical bytes of a context, authenticated as additional data:
 * `u32be(count) || for each entry sorted by key bytes: u32be(len key) || key || u32be(len value) || value`,
 * keys and values UTF-8. Length prefixes make it unambiguous ({a:"b.c"} and {"a.b":"c"} differ); sorting makes it
 * independent of property order. Strings with lone surrogates are refused: they would encode to the same bytes as
 * U+FFFD and so two different contexts could authenticate the same ciphertext.
 */
export function canonicalContext(context: EncryptionContext): Buffer {
  if (typeof context !== 'object' || context === null || Array.isArray(context)) {
    throw invalidContext('pass an object of string values');
  }
  const keys = Object.keys(context);
  if (keys.length === 0) throw invalidContext('bind the value to at least one entry (owner, row, purpose)');
  if (keys.length > maxEntries) throw invalidContext(`at most ${maxEntries} entries`);
  const entries = keys.map((key) => {
    const value: unknown = context[key];
    if (typeof value !== 'string') throw invalidContext('every value must be a string');
    if (key.length === 0) throw invalidContext('keys must not be empty');
    if (loneSurrogate.test(key) || loneSurrogate.test(value))
      throw invalidContext('strings must be well-formed Unicode');
    const keyBytes = Buffer.from(key, 'utf8');
    const valueBytes = Buffer.from(value, 'utf8');
    if (keyBytes.length > maxFieldBytes || valueBytes.length > maxFieldBytes) {
      throw invalidContext(`keys and values are at most ${maxFieldBytes} bytes`);
    }
    return [keyBytes, valueBytes] as const;
  });
  entries.sort((a, b) => Buffer.compare(a[0], b[0]));
  const parts: Buffer[] = [u32(entries.length)];
  for (const [key, value] of entries) parts.push(u32(key.length), key, u32(value.length), value);
  return Buffer.concat(parts);
}
