import {
  checkVerifierOptionNames,
  resolveVerifierOptions,
  stringList,
  unitNumber,
  verifierOptionNames,
} from './http.js';
import { siteverify } from './siteverify.js';
import type { CaptchaVerifier, VerifierOptions } from './types.js';

export const hcaptchaVerifyUrl = 'https://api.hcaptcha.com/siteverify';

export interface HcaptchaOptions extends VerifierOptions {
  /** Sent as `sitekey`: hCaptcha then rejects tokens solved for another site key. Recommended; no default. */
  siteKey?: string;
}

/**
 * hCaptcha: `POST https://api.hcaptcha.com/siteverify`, form-encoded only (`secret`, `response`, `remoteip`,
 * `sitekey`). hCaptcha Enterprise adds `score`, a RISK score (higher = more likely malicious), which is the
 * opposite of reCAPTCHA's. It is normalised here to human-likelihood: `1 - score`. Without Enterprise there is no
 * score (undefined): a valid token means a challenge was solved. hCaptcha tokens carry no action.
 */
export function hcaptcha(options: Readonly<HcaptchaOptions>): CaptchaVerifier {
  checkVerifierOptionNames('hcaptcha', options, { ...verifierOptionNames, siteKey: true });
  const resolved = resolveVerifierOptions('hcaptcha', options, hcaptchaVerifyUrl);
  const siteKey = options.siteKey;
  return {
    provider: 'hcaptcha',
    reportsAction: false,
    tokenLifetimeMs: 2 * 60_000,
    verify: (token, context) =>
      siteverify(
        'hcaptcha',
        resolved,
        token,
        context,
        { sitekey: siteKey },
        (reply) => {
          const risk = unitNumber(reply.score);
          return risk === undefined ? undefined : Math.round((1 - risk) * 1e6) / 1e6;
        },
        // Both spellings exist in the wild (the API's `score_reason`, one npm client's `score-reason`).
        (reply) => [...stringList(reply.score_reason), ...stringList(reply['score-reason'])],
      ),
  };
}
