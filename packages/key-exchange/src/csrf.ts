import { createCipheriv, createDecipheriv, createSecretKey, randomBytes, type KeyObject } from 'node:crypto';
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
  /** Makes sure the request has a session (setting the cookie when it has none) and returns a fresh token. */
  issue(req: Request, res: Response): Promise<string>;
  /** Checks Fetch Metadata, Origin and the X-CSRF-Token header; resolves to the session id or throws 403. */
  verify(req: Request, res: Response): Promise<string>;
  /** The session id named by the request's cookie (unverified). */
  sessionId(req: Request): string | undefined;
  /** Forgets the session's secret: every token issued for it stops working. */
  endSession(req: Request): Promise<void>;
}

const tokenVersion = 'c1';

interface TokenBody {
  s: string;
  t: number;
  k: string;
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

export function createCsrf(settings: CsrfSettings): Csrf {
  const { store, clock, cookieName, maxAgeMs, secure } = settings;
  const keys = new Map<string, KeyObject>(settings.secrets.map((s) => [s.id, createSecretKey(s.key)]));
  const current = settings.secrets[0]!;
  const currentKey = keys.get(current.id)!;
  const secretKey = (sid: string): string => `csrf:${sid}`;

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
    try {
      const raw = Buffer.from(data, 'base64url');
      if (raw.length < 12 + 16 + 2) return undefined;
      const decipher = createDecipheriv('aes-256-gcm', key, raw.subarray(0, 12));
      decipher.setAAD(Buffer.from(`${version}.${kid}`));
      decipher.setAuthTag(raw.subarray(raw.length - 16));
      const plain = Buffer.concat([decipher.update(raw.subarray(12, raw.length - 16)), decipher.final()]);
      const body = JSON.parse(plain.toString('utf8')) as TokenBody;
      if (typeof body.s !== 'string' || typeof body.t !== 'number' || typeof body.k !== 'string')
        return undefined;
      return body;
    } catch {
      return undefined;
    }
  }

  function ownOrigin(req: Request): string {
    return `${req.protocol}://${req.get('host') ?? ''}`;
  }

  function checkFetchMetadata(req: Request, res: Response): void {
    res.vary('Sec-Fetch-Site');
    res.vary('Origin');
    if (req.get('sec-fetch-site') === 'cross-site') throw csrfInvalid();
    const origin = req.get('origin');
    if (origin === undefined) return;
    if (origin !== ownOrigin(req) && !(settings.allowedOrigins ?? []).includes(origin)) throw csrfInvalid();
  }

  return {
    sessionId: (req) => readCookie(req.headers.cookie, cookieName),

    async issue(req, res) {
      let sid = readCookie(req.headers.cookie, cookieName);
      let secret = sid ? await store.get(secretKey(sid)) : undefined;
      if (!sid || !secret) {
        // A cookie naming no live session is never adopted: a fresh id stops session fixation.
        sid = randomBytes(24).toString('base64url');
        secret = randomBytes(32).toString('base64url');
      }
      await store.set(secretKey(sid), secret, maxAgeMs);
      res.append('Set-Cookie', serializeCookie(cookieName, sid, { maxAgeMs, secure, sameSite: 'Lax' }));
      res.vary('Cookie');
      return seal({ s: sid, t: clock.now(), k: secret });
    },

    async verify(req, res) {
      checkFetchMetadata(req, res);
      const header = req.get('x-csrf-token');
      const sid = readCookie(req.headers.cookie, cookieName);
      if (!header || !sid) throw csrfInvalid();
      const body = open(header);
      const now = clock.now();
      if (!body || body.t > now + 60_000 || now - body.t > maxAgeMs) throw csrfInvalid();
      const secret = await store.get(secretKey(sid));
      // Both compares always run, so the time taken does not say which part was wrong.
      const sameSession = constantTimeEqual(body.s, sid);
      const sameSecret = constantTimeEqual(body.k, secret ?? '');
      if (!secret || !sameSession || !sameSecret) throw csrfInvalid();
      return sid;
    },

    async endSession(req) {
      const sid = readCookie(req.headers.cookie, cookieName);
      if (sid) await store.delete(secretKey(sid));
    },
  };
}
