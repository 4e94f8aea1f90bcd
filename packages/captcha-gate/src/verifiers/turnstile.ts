import { randomUUID } from 'node:crypto';
import { checkVerifierOptionNames, resolveVerifierOptions, verifierOptionNames } from './http.js';
import { siteverify } from './siteverify.js';
import type { CaptchaVerifier, VerifierOptions } from './types.js';

export const turnstileVerifyUrl = 'https://challenges.cloudflare.com/turnstile/v0/siteverify';

/**
 * Cloudflare Turnstile: `POST https://challenges.cloudflare.com/turnstile/v0/siteverify`, form-encoded `secret`,
 * `response`, `remoteip` and an `idempotency_key` (a UUID per verification). There is no score (undefined): a valid
 * token means the managed challenge was passed. `action` is integrity-protected and checked by the gate. Tokens
 * live 300 seconds and redeem once.
 */
export function turnstile(options: Readonly<VerifierOptions>): CaptchaVerifier {
  checkVerifierOptionNames('turnstile', options, verifierOptionNames);
  const resolved = resolveVerifierOptions('turnstile', options, turnstileVerifyUrl);
  return {
    provider: 'turnstile',
    reportsAction: true,
    tokenLifetimeMs: 300_000,
    verify: (token, context) =>
      siteverify('turnstile', resolved, token, context, { idempotency_key: randomUUID() }, () => undefined),
  };
}
