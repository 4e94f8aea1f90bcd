import { jwtVerify, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import { constantTimeEqual, ShieldwallError } from '@shieldwall/core';
import { idTokenExpired, idTokenInvalid, nonceMismatch } from '../errors.js';

export interface IdTokenCheck {
  getKey: JWTVerifyGetKey;
  /** Accepted `iss` values: the discovered issuer (and, for Google, its documented bare-host form). */
  issuers: string[];
  clientId: string;
  /** From discovery: the algorithm is never taken from the token's header alone. */
  algorithms: string[];
  /** The nonce this browser's flow sent; the token must carry exactly it. */
  nonce: string;
  now: number;
  /** How old `iat` may be. */
  maxAgeSeconds: number;
  /** Tolerated clock difference with the provider. */
  skewSeconds: number;
}

/** Why a token was refused, for the log: jose's error code and the claim, never the token. */
export function refusalReason(err: unknown): Record<string, unknown> {
  const cause = (err as { cause?: unknown }).cause ?? err;
  const code = (cause as { code?: unknown }).code;
  const claim = (cause as { claim?: unknown }).claim;
  return {
    ...(typeof code === 'string' ? { reason: code } : {}),
    ...(typeof claim === 'string' ? { claim } : {}),
  };
}

/**
 * Verifies an ID token as OpenID Connect Core 3.1.3.7 says: signature under a key from the provider's JWKS with
 * an announced algorithm, `iss`, `aud` (and `azp` when there are several audiences), `exp`, `iat`, and the
 * flow's `nonce`. Resolves with the claims or rejects with 401 `oauth_id_token_invalid`,
 * `oauth_id_token_expired` or `oauth_nonce_mismatch`; a key set that cannot be fetched stays a 502.
 */
export async function verifyIdToken(token: string, check: IdTokenCheck): Promise<JWTPayload> {
  let payload: JWTPayload;
  try {
    ({ payload } = await jwtVerify(token, check.getKey, {
      issuer: check.issuers,
      audience: check.clientId,
      algorithms: check.algorithms,
      currentDate: new Date(check.now),
      clockTolerance: check.skewSeconds,
      maxTokenAge: check.maxAgeSeconds,
      requiredClaims: ['sub', 'exp', 'iat'],
    }));
  } catch (err) {
    if (err instanceof ShieldwallError) throw err;
    const { code, claim } = err as { code?: unknown; claim?: unknown };
    const expired =
      code === 'ERR_JWT_EXPIRED' ||
      (code === 'ERR_JWT_CLAIM_VALIDATION_FAILED' && (claim === 'iat' || claim === 'nbf'));
    throw expired ? idTokenExpired(err) : idTokenInvalid(err);
  }
  const { aud, azp } = payload;
  if (
    (Array.isArray(aud) && aud.length > 1 && azp === undefined) ||
    (azp !== undefined && azp !== check.clientId)
  )
    throw idTokenInvalid({ code: 'ERR_JWT_CLAIM_VALIDATION_FAILED', claim: 'azp' });
  if (typeof payload.nonce !== 'string' || !constantTimeEqual(payload.nonce, check.nonce))
    throw nonceMismatch({ code: 'ERR_JWT_CLAIM_VALIDATION_FAILED', claim: 'nonce' });
  return payload;
}
