import { configError } from '@shieldwall/core';
import { packageName } from '../constants.js';
import {
  checkVerifierOptionNames,
  postForJson,
  resolveVerifierOptions,
  stringList,
  stringOrUndefined,
  timestamp,
  unitNumber,
  verifierOptionNames,
} from './http.js';
import type { CaptchaVerifier, VerifierOptions } from './types.js';

export const recaptchaEnterpriseBaseUrl = 'https://recaptchaenterprise.googleapis.com';

export interface RecaptchaEnterpriseOptions extends VerifierOptions {
  /** `secret` is the Google Cloud API key, sent in the `x-goog-api-key` header (kept out of URLs and logs). */
  secret: string;
  /** The Google Cloud project id. Required unless `url` is the full assessments URL. */
  projectId?: string;
  /** The site key the tokens are created with (`event.siteKey`). Required. */
  siteKey: string;
  /**
   * The full assessments URL, `https://recaptchaenterprise.googleapis.com/v1/projects/{project}/assessments`.
   * Defaults to that URL built from `projectId`.
   */
  url?: string;
}

/**
 * reCAPTCHA Enterprise: `POST /v1/projects/{project}/assessments` with a JSON `event` (`token`, `siteKey`,
 * `expectedAction`, `userIpAddress`, `userAgent`); the reply's `tokenProperties` (`valid`, `invalidReason`,
 * `action`, `hostname`, `createTime`) and `riskAnalysis` (`score`, `reasons`) are normalised. The score is
 * human-likelihood, as in v3.
 */
export function recaptchaEnterprise(options: Readonly<RecaptchaEnterpriseOptions>): CaptchaVerifier {
  checkVerifierOptionNames('recaptchaEnterprise', options, {
    ...verifierOptionNames,
    projectId: true,
    siteKey: true,
  });
  if (!options?.url && !options?.projectId) {
    throw configError(
      packageName,
      'recaptchaEnterprise.projectId',
      options?.projectId,
      'pass the Google Cloud project id (or the full assessments `url`).',
    );
  }
  if (typeof options.siteKey !== 'string' || !options.siteKey) {
    throw configError(
      packageName,
      'recaptchaEnterprise.siteKey',
      options.siteKey,
      'pass the reCAPTCHA site key.',
    );
  }
  const defaultUrl = `${recaptchaEnterpriseBaseUrl}/v1/projects/${encodeURIComponent(options.projectId ?? '')}/assessments`;
  const resolved = resolveVerifierOptions('recaptchaEnterprise', options, defaultUrl);
  const siteKey = options.siteKey;
  return {
    provider: 'recaptcha-enterprise',
    reportsAction: true,
    tokenLifetimeMs: 2 * 60_000,
    async verify(token, context) {
      const event: Record<string, string> = { token, siteKey, expectedAction: context.expectedAction };
      if (context.remoteIp) event.userIpAddress = context.remoteIp;
      if (context.userAgent) event.userAgent = context.userAgent;
      const reply = await postForJson(resolved.fetch, resolved.url, {
        body: JSON.stringify({ event }),
        headers: {
          'content-type': 'application/json',
          accept: 'application/json',
          'x-goog-api-key': resolved.secret,
        },
        signal: context.signal,
      });
      const properties = (reply.tokenProperties ?? {}) as Record<string, unknown>;
      const risk = (reply.riskAnalysis ?? {}) as Record<string, unknown>;
      const valid = properties.valid === true;
      const invalidReason = stringOrUndefined(properties.invalidReason);
      return {
        provider: 'recaptcha-enterprise',
        valid,
        score: valid ? unitNumber(risk.score) : undefined,
        action: stringOrUndefined(properties.action),
        hostname: stringOrUndefined(properties.hostname) ?? stringOrUndefined(properties.androidPackageName),
        challengeTime: timestamp(properties.createTime),
        reasons: [
          ...(invalidReason && invalidReason !== 'INVALID_REASON_UNSPECIFIED' ? [invalidReason] : []),
          ...stringList(risk.reasons),
        ],
      };
    },
  };
}
