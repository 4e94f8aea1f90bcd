import { checkVerifierOptionNames, resolveVerifierOptions, unitNumber, verifierOptionNames } from './http.js';
import { siteverify } from './siteverify.js';
import type { CaptchaVerifier, VerifierOptions } from './types.js';

export const recaptchaVerifyUrl = 'https://www.google.com/recaptcha/api/siteverify';

/**
 * reCAPTCHA v3 (classic): `POST https://www.google.com/recaptcha/api/siteverify`, form-encoded `secret`, `response`,
 * `remoteip`. The score is already human-likelihood (1.0 very likely a human). Tokens live 2 minutes, verify once.
 */
export function recaptchaV3(options: Readonly<VerifierOptions>): CaptchaVerifier {
  checkVerifierOptionNames('recaptchaV3', options, verifierOptionNames);
  const resolved = resolveVerifierOptions('recaptchaV3', options, recaptchaVerifyUrl);
  return {
    provider: 'recaptcha',
    reportsAction: true,
    tokenLifetimeMs: 2 * 60_000,
    verify: (token, context) =>
      siteverify('recaptcha', resolved, token, context, {}, (reply) => unitNumber(reply.score)),
  };
}
