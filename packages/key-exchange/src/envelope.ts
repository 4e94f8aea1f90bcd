import { CompactEncrypt, compactDecrypt, decodeProtectedHeader, type CompactJWEHeaderParameters } from 'jose';
import type { KeyObject } from 'node:crypto';
import type { Clock, Store } from '@shieldwall/core';
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
  check?: (plaintext: Uint8Array) => void;
}

export interface EnvelopeSettings {
  clock: Clock;
  store: Store;
  windowMs: number;
}

const jtiPattern = /^[A-Za-z0-9_-]{16,64}$/;

/** Reads the protected header without trusting it (it is authenticated only once decryption succeeds). */
export function peekHeader(jwe: string): Partial<EnvelopeHeader> | undefined {
  try {
    return decodeProtectedHeader(jwe);
  } catch {
    return undefined;
  }
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
): Promise<{ plaintext: Uint8Array; header: EnvelopeHeader }> {
  const header = peekHeader(jwe);
  const nowMs = settings.clock.now();
  if (
    !header ||
    header.alg !== expect.alg ||
    header.enc !== 'A256GCM' ||
    header.zip !== undefined ||
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
  let plaintext: Uint8Array;
  try {
    ({ plaintext } = await compactDecrypt(jwe, secret, {
      keyManagementAlgorithms: [expect.alg],
      contentEncryptionAlgorithms: ['A256GCM'],
      maxDecompressedLength: 0,
    }));
  } catch {
    throw invalidEnvelope();
  }
  if (expect.empty && plaintext.length !== 0) throw invalidEnvelope();
  expect.check?.(plaintext);
  // Claimed only after decryption: ids cannot be burnt by someone without the key. Kept twice the window, the
  // span of iat values the check above accepts.
  const fresh = await settings.store.setIfAbsent(
    `jti:${header.kid}:${header.jti}`,
    '1',
    settings.windowMs * 2 + 1000,
  );
  if (!fresh) throw invalidEnvelope();
  return { plaintext, header: header as EnvelopeHeader };
}

/** Seals a response under the channel key, bound to the request it answers (`rid` = the request's `jti`). */
export function sealResponse(
  clock: Clock,
  key: KeyObject | Uint8Array,
  channelId: string,
  request: Pick<EnvelopeHeader, 'htm' | 'htu' | 'jti'>,
  body: Uint8Array,
): Promise<string> {
  return new CompactEncrypt(body)
    .setProtectedHeader({
      alg: 'dir',
      enc: 'A256GCM',
      kid: channelId,
      typ: envelopeTypes.response,
      htm: request.htm,
      htu: request.htu,
      rid: request.jti,
      iat: Math.floor(clock.now() / 1000),
    })
    .encrypt(key);
}
