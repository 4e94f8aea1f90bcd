import {
  formBody,
  formHeaders,
  postForJson,
  stringList,
  stringOrUndefined,
  throwIfServerSideFailure,
  timestamp,
  type ResolvedVerifierOptions,
} from './http.js';
import type { CaptchaResult, VerifyContext } from './types.js';

/**
 * The siteverify protocol that reCAPTCHA v3, hCaptcha and Turnstile share: a form-encoded POST of `secret`,
 * `response` and `remoteip` (plus provider extras), answered with `success`, `challenge_ts`, `hostname` and
 * `error-codes`. Each provider maps the score its own way.
 */
export async function siteverify(
  provider: string,
  resolved: ResolvedVerifierOptions,
  token: string,
  context: VerifyContext,
  extra: Record<string, string | undefined>,
  score: (reply: Record<string, unknown>) => number | undefined,
  reasons: (reply: Record<string, unknown>) => string[] = () => [],
): Promise<CaptchaResult> {
  const reply = await postForJson(resolved.fetch, resolved.url, {
    body: formBody({ secret: resolved.secret, response: token, remoteip: context.remoteIp, ...extra }),
    headers: { ...formHeaders },
    signal: context.signal,
  });
  const valid = reply.success === true;
  const codes = stringList(reply['error-codes']);
  throwIfServerSideFailure(valid, codes);
  return {
    provider,
    valid,
    score: valid ? score(reply) : undefined,
    action: stringOrUndefined(reply.action),
    hostname: stringOrUndefined(reply.hostname) ?? stringOrUndefined(reply.apk_package_name),
    challengeTime: timestamp(reply.challenge_ts),
    reasons: [...codes, ...reasons(reply)],
  };
}
