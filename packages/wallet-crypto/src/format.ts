import { decryptionFailed, unsupportedVersion } from './errors.js';

/** The format version this package writes and reads; the first part of every sealed string. */
export const formatVersion = 'swe1';

/** KEK ids: letters, digits, `.`, `_`, `-`; 1 to 64 characters (the same alphabet as `WALLET_KEKS` ids). */
export const kekIdPattern = /^[A-Za-z0-9._-]{1,64}$/;

export const ivBytes = 12;
export const tagBytes = 16;
export const dekBytes = 32;

/** The parts of a sealed string: `swe1.<kekId>.<wrappedDek>.<iv>.<ciphertext>.<tag>` (base64url, no padding). */
export interface EnvelopeParts {
  kekId: string;
  wrappedDek: Buffer;
  iv: Buffer;
  ciphertext: Buffer;
  tag: Buffer;
}

const base64url = /^[A-Za-z0-9_-]*$/;

/** Strict base64url: the alphabet only, no padding, and canonical (re-encodes to the same text). */
function decode(text: string): Buffer {
  if (!base64url.test(text) || text.length % 4 === 1) throw decryptionFailed();
  const bytes = Buffer.from(text, 'base64url');
  if (bytes.toString('base64url') !== text) throw decryptionFailed();
  return bytes;
}

export function serialiseEnvelope(parts: EnvelopeParts): string {
  return [
    formatVersion,
    parts.kekId,
    parts.wrappedDek.toString('base64url'),
    parts.iv.toString('base64url'),
    parts.ciphertext.toString('base64url'),
    parts.tag.toString('base64url'),
  ].join('.');
}

/**
 * Splits a sealed string. The KEK id may itself contain dots, so the four base64url parts are read from the right
 * (base64url has no dots, so the split is unambiguous). Anything malformed is `decryption_failed`; a string that
 * does not start with `swe1.` is `unsupported_version`.
 */
export function parseEnvelope(sealed: string): EnvelopeParts {
  if (typeof sealed !== 'string') throw decryptionFailed();
  const parts = sealed.split('.');
  if (parts[0] !== formatVersion) throw unsupportedVersion();
  if (parts.length < 6) throw decryptionFailed();
  const kekId = parts.slice(1, -4).join('.');
  if (!kekIdPattern.test(kekId)) throw decryptionFailed();
  const [wrapped, iv, ciphertext, tag] = parts.slice(-4).map(decode) as [Buffer, Buffer, Buffer, Buffer];
  if (wrapped.length === 0 || iv.length !== ivBytes || tag.length !== tagBytes) throw decryptionFailed();
  return { kekId, wrappedDek: wrapped, iv, ciphertext, tag };
}

/** The KEK id a sealed string names, or undefined when it is not a well-formed envelope. For rotation queries. */
export function envelopeKekId(sealed: string): string | undefined {
  try {
    return parseEnvelope(sealed).kekId;
  } catch {
    return undefined;
  }
}
