import {
  createCipheriv,
  createDecipheriv,
  createHmac,
  createSecretKey,
  hkdfSync,
  randomBytes,
  timingSafeEqual,
  type KeyObject,
} from 'node:crypto';
import type { Request, Response } from 'express';
import { configError, constantTimeEqual, type Clock, type Store } from '@shieldwall/core';
import { readCookie, serializeCookie } from './cookies.js';
import { csrfInvalid, packageName } from './errors.js';

export interface CsrfSecret {
  /** Short id carried in each token, so keys can rotate (first encrypts, all decrypt). */
  id: string;
  /** 32 bytes. */
  key: Uint8Array;
}

export interface CsrfSettings {
  store: Store;
  clock: Clock;
  secure: boolean;
  cookieName: string;
  maxAgeMs: number;
  secrets: readonly CsrfSecret[];
  allowedOrigins: readonly string[] | undefined;
}

export interface Csrf {
  /** Makes sure the request has a session (setting the cookie) and returns a fresh token. Writes nothing to the store. */
  issue(req: Request, res: Response): Promise<string>;
  /** Checks Fetch Metadata, Origin and the X-CSRF-Token header; resolves to the session id or throws 403. */
  verify(req: Request, res: Response): Promise<string>;
  /** The session id named by the request's cookie (unverified). */
  sessionId(req: Request): string | undefined;
  /** Ends a session: every token issued for it stops working, and its id is never adopted again. */
  endSession(sessionId: string): Promise<void>;
}

// c2: the session's state lives in the token and the cookie until the session is used; the store holds only ended
// sessions (c1 tokens carried a per-session secret kept in the store from the first page render).
const tokenVersion = 'c2';

interface TokenBody {
  s: string;
  t: number;
}

export function validateCsrfSecrets(value: unknown): CsrfSecret[] | undefined {
  if (value === undefined) return undefined;
  if (
    !Array.isArray(value) ||
    value.length === 0 ||
    !value.every(
      (s: unknown) =>
        typeof s === 'object' &&
        s !== null &&
        typeof (s as CsrfSecret).id === 'string' &&
        /^[A-Za-z0-9_-]{1,32}$/.test((s as CsrfSecret).id) &&
        (s as CsrfSecret).key instanceof Uint8Array &&
        (s as CsrfSecret).key.length === 32,
    )
  ) {
    throw configError(
      packageName,
      'csrfSecrets',
      value,
      'pass a non-empty array of { id: /[A-Za-z0-9_-]{1,32}/, key: 32-byte Uint8Array }; the first encrypts.',
    );
  }
  return value as CsrfSecret[];
}

/**
 * Session ids are 18 random bytes and a 6-byte HMAC of them (32 base64url characters): a page render needs no
 * stored state to know that an id is one this server made (and so never adopts an id an attacker chose), and
 * nothing is written until the session is ended. The MAC key is derived from each CSRF secret, so ids rotate with
 * them.
 */
function sessionIdMac(key: Uint8Array, random: Buffer): Buffer {
  return createHmac('sha256', key)
    .update('key-exchange session id v1')
    .update(random)
    .digest()
    .subarray(0, 6);
}

export function createCsrf(settings: CsrfSettings): Csrf {
  const { store, clock, cookieName, maxAgeMs, secure } = settings;
  const keys = new Map<string, KeyObject>(settings.secrets.map((s) => [s.id, createSecretKey(s.key)]));
  const macKeys = settings.secrets.map(
    (s) => new Uint8Array(hkdfSync('sha256', s.key, '', 'key-exchange sid', 32)),
  );
  const current = settings.secrets[0]!;
  const currentKey = keys.get(current.id)!;
  // Ended sessions only: kept as long as a token issued just before the end stays valid.
  const endedKey = (sid: string): string => `csrf:end:${sid}`;
  const endedTtlMs = maxAgeMs + 60_000;

  function newSessionId(): string {
    const random = randomBytes(18);
    return Buffer.concat([random, sessionIdMac(macKeys[0]!, random)]).toString('base64url');
  }

  function madeHere(sid: string): boolean {
    // readCookie admits only base64url characters; an id is exactly 32 of them (24 bytes).
    if (sid.length !== 32) return false;
    const raw = Buffer.from(sid, 'base64url');
    const random = raw.subarray(0, 18);
    const mac = raw.subarray(18);
    return macKeys.some((key) => timingSafeEqual(sessionIdMac(key, random), mac));
  }

  const ended = async (sid: string): Promise<boolean> => (await store.get(endedKey(sid))) !== undefined;

  function seal(body: TokenBody): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', currentKey, iv);
    cipher.setAAD(Buffer.from(`${tokenVersion}.${current.id}`));
    const sealed = Buffer.concat([
      iv,
      cipher.update(JSON.stringify(body), 'utf8'),
      cipher.final(),
      cipher.getAuthTag(),
    ]);
    return `${tokenVersion}.${current.id}.${sealed.toString('base64url')}`;
  }

  function open(token: string): TokenBody | undefined {
    if (token.length > 512) return undefined;
    const [version, kid, data, extra] = token.split('.');
    if (version !== tokenVersion || !kid || !data || extra !== undefined) return undefined;
    const key = keys.get(kid);
    if (!key) return undefined;
    let body: Partial<TokenBody> | null;
    try {
      // Stryker disable BlockStatement: an empty catch block leaves body undefined, which is refused below as well
      const raw = Buffer.from(data, 'base64url');
      // Stryker disable next-line all: shorter input cannot hold an authentic body with s and t, so a later check refuses it; this one saves the work
      if (raw.length < 12 + 16 + 2) return undefined;
      const decipher = createDecipheriv('aes-256-gcm', key, raw.subarray(0, 12));
      decipher.setAAD(Buffer.from(`${version}.${kid}`));
      decipher.setAuthTag(raw.subarray(raw.length - 16));
      const plain = Buffer.concat([decipher.update(raw.subarray(12, raw.length - 16)), decipher.final()]);
      body = JSON.parse(plain.toString('utf8')) as Partial<TokenBody> | null;
    } catch {
      return undefined;
    }
    // Stryker restore BlockStatement
    if (typeof body?.s !== 'string' || typeof body.t !== 'number') return undefined;
    return body as TokenBody;
  }

  function ownOrigin(req: Request): string {
    // Stryker disable next-line StringLiteral: only a request without Host (no browser sends one) reaches the fallback
    return `${req.protocol}://${req.get('host') ?? ''}`;
  }

  function checkFetchMetadata(req: Request, res: Response): void {
    res.vary('Sec-Fetch-Site');
    res.vary('Origin');
    if (req.get('sec-fetch-site') === 'cross-site') throw csrfInvalid();
    const origin = req.get('origin');
    if (origin === undefined) return;
    // Stryker disable next-line ArrayDeclaration: the fallback only needs to hold no real origin
    if (origin !== ownOrigin(req) && !(settings.allowedOrigins ?? []).includes(origin)) throw csrfInvalid();
  }

  return {
    sessionId: (req) => readCookie(req.headers.cookie, cookieName),

    async issue(req, res) {
      let sid = readCookie(req.headers.cookie, cookieName);
      // An id this server did not make, or an ended one, is never adopted: a fresh id stops session fixation.
      if (!sid || !madeHere(sid) || (await ended(sid))) sid = newSessionId();
      res.append('Set-Cookie', serializeCookie(cookieName, sid, { maxAgeMs, secure, sameSite: 'Lax' }));
      res.vary('Cookie');
      return seal({ s: sid, t: clock.now() });
    },

    async verify(req, res) {
      checkFetchMetadata(req, res);
      const header = req.get('x-csrf-token');
      const sid = readCookie(req.headers.cookie, cookieName);
      if (!header || !sid) throw csrfInvalid();
      const body = open(header);
      const now = clock.now();
      if (!body || body.t > now + 60_000 || now - body.t > maxAgeMs) throw csrfInvalid();
      // Tokens are issued only for ids made here, so the id in an authentic token needs no MAC check of its own.
      if (!constantTimeEqual(body.s, sid) || (await ended(sid))) throw csrfInvalid();
      return sid;
    },

    async endSession(sid) {
      // Stryker disable next-line StringLiteral: only the key's presence is read
      await store.set(endedKey(sid), '1', endedTtlMs);
    },
  };
}
