import {
  constants,
  createCipheriv,
  createDecipheriv,
  privateDecrypt,
  randomBytes,
  type KeyObject,
} from 'node:crypto';
import { nextIv } from './iv-pool.js';
import type { CompactJWEHeaderParameters } from 'jose';
import { claimOnce, type Clock, type Store } from '@shieldwall/core';
import { isStrictBase64url } from './base64url.js';
import { invalidEnvelope } from './errors.js';

/** `typ` values: a session-key request, a channel request, and a response (to either). */
export const envelopeTypes = { sessionKey: 'sw-key', request: 'sw-req', response: 'sw-res' } as const;

export interface EnvelopeHeader extends CompactJWEHeaderParameters {
  kid: string;
  typ: string;
  /** HTTP method, upper case. */
  htm: string;
  /** The request target: path and query exactly as sent. */
  htu: string;
  /** Seconds since the epoch. */
  iat: number;
  /** Single-use id: 16 to 64 base64url characters. */
  jti: string;
}

export interface OpenExpectation {
  alg: 'RSA-OAEP-256' | 'dir';
  typ: string;
  method: string;
  path: string;
  /** The plaintext must be empty (envelopes sent in a header). */
  empty?: boolean;
  /** Further checks on the plaintext, run before the single-use id is claimed; throw to refuse. */
  check?: (plaintext: Uint8Array) => unknown;
}

export interface EnvelopeSettings {
  clock: Clock;
  store: Store;
  windowMs: number;
}

const jtiPattern = /^[A-Za-z0-9_-]{16,64}$/;

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/** How many parts a compact string has: 5 for a JWE. */
function partCount(compact: string): number {
  let count = 1;
  for (let at = compact.indexOf('.'); at !== -1; at = compact.indexOf('.', at + 1)) count += 1;
  return count;
}

/**
 * Reads the protected header without trusting it (it is authenticated only once decryption succeeds). Refuses
 * what jose's decodeProtectedHeader refuses for a JWE (not five parts, a first part that is not base64url, bytes
 * that are not UTF-8, JSON that is not an object) and, stricter than jose, base64url that is not canonical.
 */
export function peekHeader(jwe: string): Partial<EnvelopeHeader> | undefined {
  // Five parts means at least one dot; an empty first part fails JSON.parse below.
  if (partCount(jwe) !== 5) return undefined;
  const part = jwe.slice(0, jwe.indexOf('.'));
  if (!isStrictBase64url(part)) return undefined;
  let value: unknown;
  try {
    // Stryker disable BlockStatement: an empty catch block leaves value undefined, which is refused below as well
    value = JSON.parse(strictUtf8.decode(Buffer.from(part, 'base64url')));
  } catch {
    return undefined;
  }
  // Stryker restore BlockStatement
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? value : undefined;
}

/**
 * Opens a request envelope: checks alg/enc (allowlisted), typ, method, path and time, decrypts, then claims the
 * single-use id. Every failure throws the same 400 `invalid_envelope`.
 */
export async function openEnvelope(
  settings: EnvelopeSettings,
  jwe: string,
  expect: OpenExpectation,
  key: (kid: string) => Promise<KeyObject | Uint8Array | undefined>,
  header: Partial<EnvelopeHeader> | undefined = peekHeader(jwe),
): Promise<{ plaintext: Uint8Array; header: EnvelopeHeader }> {
  const nowMs = settings.clock.now();
  if (
    !header ||
    header.alg !== expect.alg ||
    header.enc !== 'A256GCM' ||
    header.zip !== undefined ||
    // RFC 7516 §4.1.13: an extension in `crit` must be understood or the JWE refused; this server knows none.
    header.crit !== undefined ||
    header.typ !== expect.typ ||
    header.htm !== expect.method ||
    header.htu !== expect.path ||
    typeof header.kid !== 'string' ||
    typeof header.iat !== 'number' ||
    !Number.isFinite(header.iat) ||
    Math.abs(header.iat * 1000 - nowMs) > settings.windowMs ||
    typeof header.jti !== 'string' ||
    !jtiPattern.test(header.jti)
  ) {
    throw invalidEnvelope();
  }
  const secret = await key(header.kid);
  if (!secret) throw invalidEnvelope();
  const plaintext = expect.alg === 'dir' ? openDirA256gcm(jwe, secret) : openRsaOaep256(jwe, secret);
  if (!plaintext) throw invalidEnvelope();
  if (expect.empty && plaintext.length !== 0) throw invalidEnvelope();
  expect.check?.(plaintext);
  // Claimed only after decryption: ids cannot be burnt by someone without the key. Kept twice the window, the
  // span of iat values the check above accepts.
  // A store with no room to record the id throws 503 rather than look like a replay; the client may retry.
  const fresh = await claimOnce(
    settings.store,
    `jti:${header.kid}:${header.jti}`,
    '1',
    settings.windowMs * 2 + 1000,
  );
  if (!fresh.claimed) throw invalidEnvelope();
  return { plaintext, header: header as EnvelopeHeader };
}

// Both envelope kinds are opened with node:crypto directly, in this thread: the channel's hot path (`dir` +
// A256GCM, every request) because one AES-GCM call here costs less than a WebCrypto round trip through the thread
// pool (DESIGN.md's channel budget), and the handshake (RSA-OAEP-256) because jose's two thread-pool round trips
// (unwrap, then decrypt) held it under a third of a bare `privateDecrypt` (DESIGN.md: at least 0.90 of it). An
// RSA-2048 decryption holds the loop about a third of a millisecond, as Node's own TLS handshakes do. The format
// is RFC 7516 compact serialisation; jose (the client, and the tests) produces and opens the very same strings.

/** GCM's final() is empty; skip the copy Buffer.concat would make of a whole body. */
const joined = (head: Buffer, tail: Buffer): Buffer =>
  // Stryker disable next-line ConditionalExpression,EqualityOperator,ArrayDeclaration: final() of GCM never yields bytes, so both branches return the same bytes; the test only skips a copy
  tail.length === 0 ? head : Buffer.concat([head, tail]);

/** The five parts of a compact JWE when each is canonical base64url, else undefined. */
function compactParts(jwe: string): [string, string, string, string, string] | undefined {
  const parts = jwe.split('.');
  // Stryker disable next-line ConditionalExpression: peekHeader, which every caller passes the same string first, already refused anything but five parts
  if (parts.length !== 5) return undefined;
  if (!parts.every(isStrictBase64url)) return undefined;
  return parts as [string, string, string, string, string];
}

/** AES-256-GCM with the protected header as additional data (RFC 7516 §5.2 steps 14 to 16). */
function openA256gcm(
  cek: KeyObject | Uint8Array,
  [header, , iv, ciphertext, tag]: [string, string, string, string, string],
): Uint8Array | undefined {
  const ivBytes = Buffer.from(iv, 'base64url');
  // GCM takes IVs of any length (hashing the others): hold clients to RFC 7518's 96 bits.
  if (ivBytes.length !== 12) return undefined;
  try {
    // authTagLength: 16 makes setAuthTag refuse a shorter tag, which GCM would otherwise check as a truncated tag.
    const decipher = createDecipheriv('aes-256-gcm', cek, ivBytes, { authTagLength: 16 });
    decipher.setAAD(Buffer.from(header, 'ascii'));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    return joined(decipher.update(Buffer.from(ciphertext, 'base64url')), decipher.final());
  } catch {
    // A wrong key, a tampered part or a tag of another length: refused by the caller like any other failure.
  }
  return undefined;
}

function openDirA256gcm(jwe: string, key: KeyObject | Uint8Array): Uint8Array | undefined {
  const parts = compactParts(jwe);
  // `dir` has no encrypted key (RFC 7516 §5.1 step 6): the second part must be empty.
  return parts && parts[1] === '' ? openA256gcm(key, parts) : undefined;
}

function openRsaOaep256(jwe: string, key: KeyObject | Uint8Array): Uint8Array | undefined {
  const parts = compactParts(jwe);
  if (!parts) return undefined;
  let cek: Buffer;
  try {
    // An empty wrapped key, or a key that is not an RSA private key (the web key ring and the app versions only
    // hold those), throws here like any other that does not unwrap.
    cek = privateDecrypt(
      { key: key as KeyObject, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' },
      Buffer.from(parts[1], 'base64url'),
    );
  } catch {
    cek = Buffer.alloc(0);
  }
  // RFC 7516 §11.5: a key that does not unwrap (or unwraps to the wrong length) goes on as a random one, so that
  // the answer, and the time it takes, do not tell an unwrap failure from a failed tag (the oracle of Manger's
  // attack on RSA-OAEP). jose does the same.
  // Stryker disable next-line ConditionalExpression: always the unwrapped key reaches the same refusal (a 0-byte AES key throws); only the time differs
  return openA256gcm(cek.length === 32 ? cek : randomBytes(32), parts);
}

/**
 * Seals a response under the channel key, bound to the request it answers (`rid` = the request's `jti`) and to its
 * HTTP status (`sts`), which is otherwise outside the authenticated data: an intermediary could turn a refusal
 * into a success or the reverse.
 */
export function sealResponse(
  clock: Clock,
  key: KeyObject | Uint8Array,
  channelId: string,
  request: Pick<EnvelopeHeader, 'htm' | 'htu' | 'jti'>,
  status: number,
  body: Uint8Array,
): string {
  const header = Buffer.from(
    JSON.stringify({
      alg: 'dir',
      enc: 'A256GCM',
      kid: channelId,
      typ: envelopeTypes.response,
      htm: request.htm,
      htu: request.htu,
      rid: request.jti,
      sts: status,
      iat: Math.floor(clock.now() / 1000),
    }),
  ).toString('base64url');
  const iv = nextIv();
  // Stryker disable next-line ObjectLiteral: 16 bytes is GCM's default tag length in Node; stated so the reader need not know it
  const cipher = createCipheriv('aes-256-gcm', key, iv, { authTagLength: 16 });
  cipher.setAAD(Buffer.from(header, 'ascii'));
  const ciphertext = joined(cipher.update(body), cipher.final());
  return `${header}..${iv.toString('base64url')}.${ciphertext.toString('base64url')}.${cipher.getAuthTag().toString('base64url')}`;
}
