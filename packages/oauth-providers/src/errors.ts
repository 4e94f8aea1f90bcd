import { ShieldwallError } from '@shieldwall/core';

export const packageName = '@shieldwall/oauth-providers';

/** 403: the callback's `state` is missing, wrong, reused or expired, or the flow cookie is missing or forged. */
export function stateMismatch(): ShieldwallError {
  return new ShieldwallError(
    403,
    'oauth_state_mismatch',
    'This sign-in link is invalid or has expired; start the sign-in again.',
  );
}

/** 403: the user declined at the provider (`?error=access_denied`). */
export function accessDenied(): ShieldwallError {
  return new ShieldwallError(403, 'oauth_access_denied', 'Sign-in was cancelled at the provider.');
}

/** 400: a callback with neither a code nor an error, or with repeated or malformed parameters. */
export function invalidCallback(): ShieldwallError {
  return new ShieldwallError(400, 'oauth_invalid_callback', 'The sign-in callback is malformed.');
}

/** 400: the start route was called with callback parameters. */
export function invalidStart(): ShieldwallError {
  return new ShieldwallError(400, 'oauth_invalid_request', 'Start the sign-in without parameters.');
}

/** 400: the provider refused the code (expired, already used, or the PKCE verifier does not match). */
export function codeRejected(): ShieldwallError {
  return new ShieldwallError(
    400,
    'oauth_code_rejected',
    'The provider refused this sign-in; start the sign-in again.',
  );
}

/** 502: the provider failed, timed out, or answered with something unusable. */
export function providerError(cause?: unknown): ShieldwallError {
  return new ShieldwallError(
    502,
    'oauth_provider_error',
    'The sign-in provider did not answer properly; try again later.',
    cause === undefined ? {} : { cause },
  );
}

/** 401: Telegram data whose hash does not verify (tampered, extra or missing fields). */
export function telegramInvalid(): ShieldwallError {
  return new ShieldwallError(401, 'oauth_telegram_invalid', 'The Telegram sign-in data is not valid.');
}

/** 401: Telegram data older than the allowed age, dated in the future, or already used. */
export function telegramExpired(): ShieldwallError {
  return new ShieldwallError(
    401,
    'oauth_telegram_expired',
    'The Telegram sign-in data has expired; sign in again.',
  );
}

/** 502: the provider's OpenID discovery document could not be read, or does not describe a usable provider. */
export function discoveryFailed(cause?: unknown): ShieldwallError {
  return new ShieldwallError(
    502,
    'oauth_discovery_failed',
    'The sign-in provider could not be reached; try again later.',
    cause === undefined ? {} : { cause },
  );
}

/** 502: the provider's signing keys (JWKS) could not be fetched, so no ID token can be checked. */
export function jwksUnavailable(cause?: unknown): ShieldwallError {
  return new ShieldwallError(
    502,
    'oauth_jwks_unavailable',
    "The sign-in provider's signing keys could not be fetched; try again later.",
    cause === undefined ? {} : { cause },
  );
}

/**
 * 401: the ID token does not verify: bad signature, a key not in the provider's JWKS, an algorithm other than the
 * ones discovery announces (`none`, HS256), or the wrong `iss`, `aud` or `azp`.
 */
export function idTokenInvalid(cause?: unknown): ShieldwallError {
  return new ShieldwallError(
    401,
    'oauth_id_token_invalid',
    'The sign-in could not be verified; sign in again.',
    cause === undefined ? {} : { cause },
  );
}

/** 401: the ID token has expired, or its `iat` is in the future or too old. */
export function idTokenExpired(cause?: unknown): ShieldwallError {
  return new ShieldwallError(
    401,
    'oauth_id_token_expired',
    'The sign-in has expired; sign in again.',
    cause === undefined ? {} : { cause },
  );
}

/** 401: the ID token's `nonce` is missing or is not the one this browser's sign-in sent. */
export function nonceMismatch(cause?: unknown): ShieldwallError {
  return new ShieldwallError(
    401,
    'oauth_nonce_mismatch',
    'The sign-in could not be verified; sign in again.',
    cause === undefined ? {} : { cause },
  );
}

/** What a failure reason carried through passport's `fail()` maps to. */
export interface FailureInfo {
  code: 'oauth_state_mismatch' | 'oauth_telegram_invalid' | 'oauth_telegram_expired';
}

export function failureError(info: unknown): ShieldwallError {
  const code = typeof info === 'object' && info !== null ? (info as { code?: unknown }).code : undefined;
  if (code === 'oauth_telegram_invalid') return telegramInvalid();
  if (code === 'oauth_telegram_expired') return telegramExpired();
  if (code === 'oauth_state_mismatch') return stateMismatch();
  // passport-oauth2 fails with `{message}` on an `access_denied` redirect; the router handles those earlier.
  return accessDenied();
}

/**
 * Maps what passport-oauth2 and the strategies raise to the envelope. Provider messages are never echoed: they
 * may quote what the client sent.
 */
export function exchangeError(err: unknown): ShieldwallError {
  if (err instanceof ShieldwallError) return err;
  const name = err instanceof Error ? err.name : undefined;
  const code = typeof err === 'object' && err !== null ? (err as { code?: unknown }).code : undefined;
  if (name === 'TokenError' && code === 'invalid_grant') return codeRejected();
  return providerError(err);
}
