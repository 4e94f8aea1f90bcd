import jwt from 'jsonwebtoken';
import { compactParts, hs256Valid, jsonObject } from './hs256.js';
import type { ResolvedOptions } from './options.js';

/** RFC 9068's type for access tokens; refresh tokens get their own, so neither is ever accepted as the other. */
export const accessType = 'at+jwt';
export const refreshType = 'rt+jwt';
const algorithm = 'HS256';

export interface AccessClaims {
  sub: string;
  /** The refresh family (sign-in) this access token belongs to. */
  sid: string;
  iat: number;
  exp: number;
  iss: string;
  aud: string;
}

export interface RefreshClaims {
  sub: string;
  fam: string;
  jti: string;
  iat: number;
  exp: number;
}

export type TokenProblem = 'expired' | 'invalid';

export class TokenError extends Error {
  constructor(readonly problem: TokenProblem) {
    super(problem === 'expired' ? 'token expired' : 'token invalid');
  }
}

export interface TokenCodec {
  signAccess(sub: string, sid: string): string;
  signRefresh(sub: string, fam: string, jti: string, exp: number): string;
  verifyAccess(token: string, options?: { ignoreExpiration?: boolean }): AccessClaims;
  verifyRefresh(token: string, options?: { ignoreExpiration?: boolean }): RefreshClaims;
}

export function tokenCodec(o: ResolvedOptions): TokenCodec {
  const { ring, issuer, audience } = o;
  const seconds = (): number => Math.floor(o.clock.now() / 1000);

  const sign = (payload: Record<string, unknown>, typ: string): string =>
    jwt.sign(payload, ring.current.key, { algorithm, header: { alg: algorithm, typ, kid: ring.current.id } });

  const invalid = (): never => {
    throw new TokenError('invalid');
  };

  // jsonwebtoken signs; verification is the same checks on node:crypto directly, since it runs on every
  // authenticated request (bench: about a third of requireAuth's cost). test/hs256-differential.test.ts holds it
  // to jsonwebtoken's verdicts.
  const verify = (token: string, typ: string, ignoreExpiration: boolean): Record<string, unknown> => {
    const parts = compactParts(token) ?? invalid();
    const h = jsonObject(parts[0]) ?? invalid();
    // The algorithm is pinned and the type decides which rules apply (RFC 8725 3.1, 3.11); the kid only picks one
    // of our own keys, never loads one.
    if (h.alg !== algorithm || h.typ !== typ) invalid();
    // A kid that is not a string (or none) finds no key: the ring's keys are strings.
    const key = ring.byId.get(h.kid as string) ?? invalid();
    if (!hs256Valid(key, parts)) invalid();
    const payload = jsonObject(parts[1]) ?? invalid();
    const { sub, exp, nbf, iat, iss, aud } = payload;
    if (typeof sub !== 'string' || !Number.isFinite(exp)) invalid();
    if ((nbf !== undefined && !Number.isFinite(nbf)) || (iat !== undefined && !Number.isFinite(iat)))
      invalid();
    // jsonwebtoken's order: time first, then audience and issuer (an expired token from elsewhere is "expired").
    const now = seconds();
    // Without nbf a token is valid from any time; `?? -Infinity` says so with no separate undefined test to drop.
    if (((nbf as number | undefined) ?? -Infinity) > now + o.tolerance) invalid();
    if (!ignoreExpiration && now >= (exp as number) + o.tolerance) throw new TokenError('expired');
    if (!(aud === audience || (Array.isArray(aud) && aud.includes(audience))) || iss !== issuer) invalid();
    return payload;
  };

  return {
    signAccess(sub, sid) {
      const iat = seconds();
      return sign({ sub, sid, iat, exp: iat + o.accessTtl, iss: issuer, aud: audience }, accessType);
    },
    signRefresh(sub, fam, jti, exp) {
      return sign({ sub, fam, jti, iat: seconds(), exp, iss: issuer, aud: audience }, refreshType);
    },
    verifyAccess(token, options = {}) {
      const payload = verify(token, accessType, options.ignoreExpiration ?? false);
      if (typeof payload.sid !== 'string' || 'fam' in payload) throw new TokenError('invalid');
      return payload as unknown as AccessClaims;
    },
    verifyRefresh(token, options = {}) {
      const payload = verify(token, refreshType, options.ignoreExpiration ?? false);
      if (typeof payload.fam !== 'string' || typeof payload.jti !== 'string' || 'sid' in payload)
        throw new TokenError('invalid');
      return payload as unknown as RefreshClaims;
    },
  };
}
