import { createHmac, timingSafeEqual, type KeyObject } from 'node:crypto';

/** The three parts of a compact JWS, still encoded. */
export type CompactParts = readonly [header: string, payload: string, signature: string];

// jws's own shape check (the one jsonwebtoken applies), with the signature required and a size bound: every
// part is non-empty base64url without padding.
const compactPattern = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;
export const maxTokenLength = 4096;

export function compactParts(token: string): CompactParts | undefined {
  if (token.length > maxTokenLength || !compactPattern.test(token)) return undefined;
  const first = token.indexOf('.');
  const second = token.indexOf('.', first + 1);
  return [token.slice(0, first), token.slice(first + 1, second), token.slice(second + 1)];
}

/** A base64url part holding a JSON object; undefined for anything else (arrays, null, bad JSON). */
export function jsonObject(part: string): Record<string, unknown> | undefined {
  let value: unknown;
  try {
    // Stryker disable BlockStatement: an empty catch block leaves value undefined, which is refused below as well
    value = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
  } catch {
    return undefined;
  }
  // Stryker restore BlockStatement
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

/**
 * Checks an HS256 signature in constant time. The expected signature is compared in its base64url form, as jwa
 * does, so a non-canonical encoding of the right bytes is refused too.
 */
export function hs256Valid(key: KeyObject, [header, payload, signature]: CompactParts): boolean {
  const expected = Buffer.from(
    createHmac('sha256', key).update(`${header}.${payload}`).digest('base64url'),
    // Stryker disable next-line StringLiteral: base64url is ASCII, so latin1 and the default utf8 give the same bytes
    'latin1',
  );
  const given = Buffer.from(signature, 'latin1');
  return given.length === expected.length && timingSafeEqual(given, expected);
}
