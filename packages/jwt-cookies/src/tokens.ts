import jwt from 'jsonwebtoken';
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

function header(token: string): { alg?: unknown; typ?: unknown; kid?: unknown } | undefined {
  const dot = token.indexOf('.');
  if (dot <= 0 || token.length > 4096) return undefined;
  try {
    const parsed: unknown = JSON.parse(Buffer.from(token.slice(0, dot), 'base64url').toString('utf8'));
    return typeof parsed === 'object' && parsed !== null ? parsed : undefined;
  } catch {
    return undefined;
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

  const verify = (token: string, typ: string, ignoreExpiration: boolean): jwt.JwtPayload => {
    const h = header(token);
    // The algorithm is pinned and the type decides which rules apply (RFC 8725 3.1, 3.11); the kid only picks one
    // of our own keys, never loads one.
    if (!h || h.alg !== algorithm || h.typ !== typ || typeof h.kid !== 'string')
      throw new TokenError('invalid');
    const key = ring.byId.get(h.kid);
    if (!key) throw new TokenError('invalid');
    try {
      const payload = jwt.verify(token, key, {
        algorithms: [algorithm],
        issuer,
        audience,
        clockTolerance: o.tolerance,
        clockTimestamp: seconds(),
        ignoreExpiration,
      });
      if (typeof payload !== 'object' || typeof payload.sub !== 'string' || typeof payload.exp !== 'number')
        throw new TokenError('invalid');
      return payload;
    } catch (error) {
      if (error instanceof jwt.TokenExpiredError) throw new TokenError('expired');
      throw new TokenError('invalid');
    }
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
      return payload as AccessClaims;
    },
    verifyRefresh(token, options = {}) {
      const payload = verify(token, refreshType, options.ignoreExpiration ?? false);
      if (typeof payload.fam !== 'string' || typeof payload.jti !== 'string' || 'sid' in payload)
        throw new TokenError('invalid');
      return payload as RefreshClaims;
    },
  };
}
