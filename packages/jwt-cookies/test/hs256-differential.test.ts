import { createHmac, createSecretKey, randomBytes } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { manualClock } from '@shieldwall/core';
import { resolveOptions } from '../src/options.js';
import { TokenError, accessType, refreshType, tokenCodec } from '../src/tokens.js';

// requireAuth verifies on node:crypto rather than through jsonwebtoken (it runs on every request). These tests hold
// it to what jsonwebtoken.verify, plus our header and claim rules, decides for the same token: the same verdict
// for a grid of well-signed claim sets and for thousands of mutated tokens.

type Verdict = 'ok' | 'expired' | 'invalid';

const keys = [
  { id: 'k1', key: randomBytes(32) },
  { id: 'k2', key: randomBytes(32) },
];
const strangerKey = randomBytes(32);
const clock = manualClock(Date.UTC(2026, 5, 1));
const options = resolveOptions({ keys, secure: false, clock, clockToleranceSeconds: 5 });
const codec = tokenCodec(options);
const now = Math.floor(clock.now() / 1000);

/** The verifier this package had before: header rules, then jsonwebtoken.verify, then the claim shapes. */
function oracle(token: string, typ: string, ignoreExpiration = false): Verdict {
  let header: Record<string, unknown>;
  try {
    const dot = token.indexOf('.');
    if (dot <= 0 || token.length > 4096) return 'invalid';
    header = JSON.parse(Buffer.from(token.slice(0, dot), 'base64url').toString('utf8')) as Record<
      string,
      unknown
    >;
  } catch {
    return 'invalid';
  }
  if (typeof header !== 'object' || header === null) return 'invalid';
  if (header.alg !== 'HS256' || header.typ !== typ || typeof header.kid !== 'string') return 'invalid';
  const entry = keys.find((k) => k.id === header.kid);
  if (!entry) return 'invalid';
  let payload: jwt.JwtPayload | string;
  try {
    payload = jwt.verify(token, createSecretKey(entry.key), {
      algorithms: ['HS256'],
      issuer: options.issuer,
      audience: options.audience,
      clockTolerance: options.tolerance,
      clockTimestamp: now,
      ignoreExpiration,
    });
  } catch (error) {
    return error instanceof jwt.TokenExpiredError ? 'expired' : 'invalid';
  }
  if (typeof payload !== 'object' || Array.isArray(payload)) return 'invalid';
  if (typeof payload.sub !== 'string' || typeof payload.exp !== 'number') return 'invalid';
  // Stricter than jsonwebtoken by design: an iat that is not a number is refused even without maxAge.
  if (payload.iat !== undefined && typeof payload.iat !== 'number') return 'invalid';
  if (typ === accessType && (typeof payload.sid !== 'string' || 'fam' in payload)) return 'invalid';
  if (
    typ === refreshType &&
    (typeof payload.fam !== 'string' || typeof payload.jti !== 'string' || 'sid' in payload)
  )
    return 'invalid';
  return 'ok';
}

function actual(token: string, typ: string, ignoreExpiration = false): Verdict {
  try {
    if (typ === accessType) codec.verifyAccess(token, { ignoreExpiration });
    else codec.verifyRefresh(token, { ignoreExpiration });
    return 'ok';
  } catch (error) {
    if (error instanceof TokenError) return error.problem;
    throw error;
  }
}

const encode = (value: object): string => Buffer.from(JSON.stringify(value)).toString('base64url');

/** Signs any claims, even ones jsonwebtoken.sign would refuse to write (an exp that is a string, ...). */
function sign(payload: object, header: Record<string, unknown>, key: Buffer = keys[0]!.key): string {
  const input = `${encode(header)}.${encode(payload)}`;
  return `${input}.${createHmac('sha256', key).update(input).digest('base64url')}`;
}

/** A small seeded PRNG, so a failing case can be reproduced from the seed in its message. */
function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('jwt-cookies: the HS256 verifier agrees with jsonwebtoken', () => {
  const base = {
    sub: 'user-1',
    sid: 'fam-1',
    iat: now - 10,
    exp: now + 1200,
    iss: 'shieldwall',
    aud: 'shieldwall',
  };
  const header = { alg: 'HS256', typ: accessType, kid: 'k1' };
  const { sid: _sid, ...withoutSid } = base;
  const refreshBase = { ...withoutSid, fam: 'fam-1', jti: 'jti-1', exp: now + 3600 };

  it('accepts what the codec signs, and both agree on it', () => {
    const token = codec.signAccess('user-1', 'fam-1');
    expect(actual(token, accessType)).toBe('ok');
    expect(oracle(token, accessType)).toBe('ok');
  });

  it.each([
    [accessType, false],
    [accessType, true],
    [refreshType, false],
    [refreshType, true],
  ])(
    'gives the same verdict over a grid of claim sets, headers and keys (%s, ignoreExpiration %s)',
    (typ, ignoreExpiration) => {
      const own = typ === accessType ? base : refreshBase;
      const claimVariants: Array<Record<string, unknown>> = [
        {},
        { exp: now - 1 },
        { exp: now - 5 },
        { exp: now - 6 },
        { exp: now + 1 },
        { exp: undefined },
        { exp: String(now + 100) },
        { nbf: now + 5 },
        { nbf: now + 6 },
        { nbf: 'soon' },
        { iat: 'then' },
        { iat: undefined },
        { iss: 'someone-else' },
        { iss: undefined },
        { aud: 'other' },
        { aud: ['other', 'shieldwall'] },
        { aud: ['other'] },
        { aud: undefined },
        { sub: 42 },
        { sub: undefined },
        { sid: undefined },
        { sid: 'fam-1' },
        { fam: undefined },
        { fam: 'fam-1' },
        { jti: undefined },
        { jti: 7 },
        { exp: now - 100, iss: 'someone-else' },
      ];
      const ownHeader = { ...header, typ };
      const headerVariants: Array<Record<string, unknown>> = [
        ownHeader,
        { ...ownHeader, typ: typ === accessType ? refreshType : accessType },
        { ...ownHeader, typ: 'JWT' },
        { ...ownHeader, kid: 'k2' },
        { ...ownHeader, kid: 'k3' },
        { ...ownHeader, kid: 7 },
        { alg: 'HS256', typ },
      ];
      let cases = 0;
      for (const claims of claimVariants) {
        const payload = Object.fromEntries(
          Object.entries({ ...own, ...claims }).filter(([, value]) => value !== undefined),
        );
        for (const h of headerVariants) {
          const key = keys.find((k) => k.id === h.kid)?.key ?? keys[0]!.key;
          for (const signingKey of [key, strangerKey]) {
            const token = sign(payload, h, signingKey);
            expect({ token, verdict: actual(token, typ, ignoreExpiration) }).toEqual({
              token,
              verdict: oracle(token, typ, ignoreExpiration),
            });
            cases += 1;
          }
        }
      }
      expect(cases).toBe(claimVariants.length * headerVariants.length * 2);
    },
  );

  it('is stricter in one place by design: an exp that is not a finite number (1e999) is refused', () => {
    const input = `${encode(header)}.${Buffer.from(JSON.stringify(base).replace(/"exp":\d+/, '"exp":1e999')).toString('base64url')}`;
    const token = `${input}.${createHmac('sha256', keys[0]!.key).update(input).digest('base64url')}`;
    expect(oracle(token, accessType)).toBe('ok');
    expect(actual(token, accessType)).toBe('invalid');
  });

  it('refuses alg none, other HMAC sizes, and refresh tokens where access is wanted, as jsonwebtoken does', () => {
    const none = `${encode({ ...header, alg: 'none' })}.${encode(base)}.`;
    const hs384 = jwt.sign(base, keys[0]!.key, {
      algorithm: 'HS384',
      header: { ...header, alg: 'HS384' },
      noTimestamp: true,
    });
    const refresh = codec.signRefresh('user-1', 'fam-1', 'jti-1', now + 3600);
    for (const token of [none, hs384, refresh, '', '.', '..', 'a.b.c', `${none}x`]) {
      expect(actual(token, accessType)).toBe('invalid');
      expect(oracle(token, accessType)).toBe('invalid');
    }
    expect(actual(refresh, refreshType)).toBe('ok');
    expect(oracle(refresh, refreshType)).toBe('ok');
  });

  it('refuses a non-canonical encoding of the right signature bytes, as jsonwebtoken does', () => {
    const token = sign(base, header);
    const signature = token.slice(token.lastIndexOf('.') + 1);
    // 32 bytes take 43 characters; the last one carries 2 unused bits, so 4 characters decode to the same bytes.
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const last = alphabet.indexOf(signature.at(-1)!);
    const twin = `${token.slice(0, -1)}${alphabet[last ^ 1]}`;
    expect(Buffer.from(twin.slice(twin.lastIndexOf('.') + 1), 'base64url')).toEqual(
      Buffer.from(signature, 'base64url'),
    );
    expect(actual(twin, accessType)).toBe('invalid');
    expect(oracle(twin, accessType)).toBe('invalid');
  });

  it('gives the same verdict for thousands of mutated tokens', () => {
    const seed = 20261203;
    const random = prng(seed);
    const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
    const characters = [
      ...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_',
      '.',
      '=',
      ' ',
      '+',
      '/',
    ];
    const sources = [
      sign(base, header),
      sign({ ...base, exp: now - 3 }, header),
      sign({ ...base, exp: now - 60 }, header),
      sign(base, { ...header, kid: 'k2' }, keys[1]!.key),
    ];
    const accepted = new Set<string>();
    for (let i = 0; i < 3000; i += 1) {
      let token = pick(sources);
      const edits = 1 + Math.floor(random() * 3);
      for (let e = 0; e < edits; e += 1) {
        const at = Math.floor(random() * (token.length + 1));
        const kind = random();
        if (kind < 0.5) token = token.slice(0, at) + pick(characters) + token.slice(at + 1);
        else if (kind < 0.75) token = token.slice(0, at) + pick(characters) + token.slice(at);
        else token = token.slice(0, at) + token.slice(at + 1);
      }
      const expected = oracle(token, accessType);
      if (expected === 'ok') accepted.add(token);
      expect({ seed, i, token, verdict: actual(token, accessType) }).toEqual({
        seed,
        i,
        token,
        verdict: expected,
      });
    }
    // Only an edit that gave back the original token (a character replaced by itself) may pass.
    for (const token of accepted) expect(sources).toContain(token);
  });
});
