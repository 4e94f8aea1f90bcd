import type { JWTPayload } from 'jose';
import { providerError } from '../errors.js';
import type { OAuthProfile } from '../types.js';

const text = (value: unknown): string | null =>
  typeof value === 'string' && value.trim().length > 0 ? value.trim() : null;

/**
 * A phone number as E.164 (`+` and 7 to 15 digits), or null. Telegram's claim has been seen both with and
 * without the `+`; spaces, dashes and brackets are dropped.
 */
export function e164(value: unknown): string | null {
  if (typeof value !== 'string') return null;
  const digits = value.replace(/[\s().-]/g, '');
  const withPlus = digits.startsWith('+') ? digits : `+${digits}`;
  return /^\+[1-9]\d{6,14}$/.test(withPlus) ? withPlus : null;
}

function userId(value: unknown): string | null {
  if (typeof value === 'number' && Number.isSafeInteger(value) && value > 0) return String(value);
  if (typeof value === 'string' && /^\d{1,20}$/.test(value)) return value;
  return null;
}

/**
 * Telegram's ID token claims to the profile. The id is the numeric Telegram user id (claim `id`, the same id the
 * legacy widget reported, so accounts carry over), falling back to `sub`. A `phone_number` is present only when
 * the user granted the `phone` scope; Telegram accounts are registered by phone number, so it is verified.
 */
export function telegramProfile(claims: JWTPayload): OAuthProfile {
  const id = userId(claims.id) ?? text(claims.sub);
  if (!id) throw providerError(new Error('the ID token has no user id'));
  const name =
    text(claims.name) ??
    ([text(claims.given_name), text(claims.family_name)].filter(Boolean).join(' ') || null);
  const phone = e164(claims.phone_number);
  return {
    provider: 'telegram',
    id,
    name,
    username: text(claims.preferred_username),
    avatarUrl: text(claims.picture),
    email: null,
    emailVerified: false,
    phone,
    phoneVerified: phone !== null,
  };
}

/** Google's ID token claims (scopes `openid email profile`) to the profile; `email_verified` decides. */
export function googleProfile(claims: JWTPayload): OAuthProfile {
  const id = text(claims.sub);
  if (!id) throw providerError(new Error('the ID token has no subject'));
  const email = text(claims.email);
  // Google sends a boolean; some older deployments sent the string "true".
  const verified = claims.email_verified === true || claims.email_verified === 'true';
  return {
    provider: 'google',
    id,
    name: text(claims.name),
    username: null,
    avatarUrl: text(claims.picture),
    email,
    emailVerified: email !== null && verified,
    phone: null,
    phoneVerified: false,
  };
}

/**
 * A generic OpenID provider's standard claims (OpenID Connect Core 5.1) to the profile. E-mail and phone count as
 * verified only when `email_verified` / `phone_number_verified` is true.
 */
export function genericProfile(provider: string, claims: JWTPayload): OAuthProfile {
  const id = text(claims.sub);
  if (!id) throw providerError(new Error('the ID token has no subject'));
  const name =
    text(claims.name) ??
    ([text(claims.given_name), text(claims.family_name)].filter(Boolean).join(' ') || null);
  const email = text(claims.email);
  const phone = e164(claims.phone_number);
  return {
    provider,
    id,
    name,
    username: text(claims.preferred_username),
    avatarUrl: text(claims.picture),
    email,
    emailVerified: email !== null && claims.email_verified === true,
    phone,
    phoneVerified: phone !== null && claims.phone_number_verified === true,
  };
}
