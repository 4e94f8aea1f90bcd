import { createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { RequestHandler } from 'express';
import {
  configError,
  fraction,
  getClientInfo,
  oneOf,
  positiveInteger,
  prefixedStore,
  readChallengeAnswer,
  refusals,
  checkOptionNames,
  ShieldwallError,
  silentLogger,
  systemClock,
  verificationRequired,
  wrapAsync,
  type Clock,
  type Logger,
  type OnRefused,
  type Store,
  type OptionNames,
} from '@shieldwall/core';
import { packageName } from './constants.js';
import { codeCheckError } from './codes.js';
import { verifiedOnRequest, type CodeChallengeProvider } from './challenge-provider.js';
import { CaptchaUnavailableError } from './verifiers/http.js';
import type { CaptchaResult, CaptchaVerifier } from './verifiers/types.js';

const optionNames: OptionNames<CaptchaGateOptions> = {
  verifier: true,
  challenges: true,
  store: true,
  hostnames: true,
  threshold: true,
  thresholds: true,
  maxTokenAgeMs: true,
  timeoutMs: true,
  onProviderDown: true,
  requireScore: true,
  stepUp: true,
  token: true,
  subject: true,
  logger: true,
  clock: true,
  onRefused: true,
};

export type ProviderDownPolicy = 'challenge' | 'block' | 'allow';

export interface CaptchaGateOptions {
  /** The provider: `recaptchaV3(...)`, `recaptchaEnterprise(...)`, `hcaptcha(...)` or `turnstile(...)`. Required. */
  verifier: CaptchaVerifier;
  /** Issues and checks the verification codes of the step-up (`codeChallengeProvider(...)`). Required. */
  challenges: CodeChallengeProvider;
  /** Keeps the replay cache of seen tokens (SHA-256 of the token, prefixed `captcha-gate:token:`). Required. */
  store: Store;
  /**
   * Hostnames (or Android package names) tokens must have been solved on. Required: pass `'any'` to opt out of the
   * check explicitly (not recommended: tokens solved on another site would pass).
   */
  hostnames: readonly string[] | 'any';
  /** Scores (human-likelihood, 0..1) at or above this pass. Defaults to 0.8 (002). */
  threshold?: number;
  /** Per-action thresholds, overriding `threshold`. Defaults to none. */
  thresholds?: Readonly<Record<string, number>>;
  /** Tokens solved longer ago than this are refused. Defaults to the provider's token lifetime (2 min; Turnstile 5). */
  maxTokenAgeMs?: number;
  /** Every provider call is aborted after this. Defaults to 3000. */
  timeoutMs?: number;
  /**
   * When the provider is down, slow or misconfigured: `'challenge'` requires a verification code, `'block'` answers
   * 503 `captcha_unavailable`, `'allow'` lets the request through with a warning in the log (an explicit opt-out).
   * Defaults to `'challenge'`.
   */
  onProviderDown?: ProviderDownPolicy;
  /**
   * Which failures earn a verification code. `'score'`: only a valid, fresh, unreplayed token for this action and
   * hostname whose score alone is too low (or missing, with `requireScore`), and a provider outage under the
   * `'challenge'` policy; any other failure (no token, a rejected, replayed, foreign or old token) answers 403
   * `captcha_failed` and sends nothing, so the step-up is never a way to have messages sent without solving the
   * CAPTCHA. `'any'`: every failure steps up (the code is the only proof asked; the destination in the request is
   * unproven, so the step-up can be used to send messages to anyone). Defaults to `'any'` in this release; pass
   * `'score'` (the reference app does).
   */
  stepUp?: 'score' | 'any';
  /** Treat a valid token without a score (Turnstile, hCaptcha without Enterprise) as below threshold. Defaults to false. */
  requireScore?: boolean;
  /**
   * Reads the token. Defaults to the `X-Captcha-Token` header, else the body's `captchaToken`,
   * `g-recaptcha-response`, `h-captcha-response` or `cf-turnstile-response`.
   */
  token?: (req: IncomingMessage) => string | undefined;
  /** The client a code is bound to. Defaults to `ip:<client IP>` (from @shieldwall/request-guard or `req.ip`). */
  subject?: (req: IncomingMessage, action: string) => string;
  /** Defaults to a silent logger. Logs actions, reasons and scores, never tokens or codes. */
  logger?: Logger;
  /** Defaults to the system clock. */
  clock?: Clock;
  /**
   * Takes over the refusals (403 `verification_required` with its challenge, 403 `captcha_failed`, the code checks' 400/403/429): `(error, req, res, next)` with `error.status`, `error.code` and
   * `error.details`. Defaults to sending the JSON envelope, so no error handler is needed; call `next(error)` to
   * hand them to yours.
   */
  onRefused?: OnRefused;
}

export interface CaptchaGate {
  /** The middleware for one action: through at or above the threshold, otherwise a verification-code step-up. */
  require(action: string, options?: { threshold?: number }): RequestHandler;
  /** The step-up's ChallengeProvider, for rate limiters set to challenge instead of block. */
  readonly challengeProvider: CodeChallengeProvider;
}

/** Failures that still prove a solved CAPTCHA (or that the provider could not say): only these earn a code. */
const codeWorthy = new Set(['score_below_threshold', 'score_missing', 'provider_unavailable']);

const tokenFields = ['captchaToken', 'g-recaptcha-response', 'h-captcha-response', 'cf-turnstile-response'];
const maxTokenLength = 8192;
const clockSkewMs = 60_000;

function defaultToken(req: IncomingMessage): string | undefined {
  const header = req.headers['x-captcha-token'];
  if (typeof header === 'string' && header) return header;
  const body = (req as { body?: unknown }).body;
  if (typeof body !== 'object' || body === null) return undefined;
  for (const field of tokenFields) {
    const value = (body as Record<string, unknown>)[field];
    if (typeof value === 'string' && value) return value;
  }
  return undefined;
}

/**
 * Takes the provider's fields out of a parsed body, so the route's own validation sees only its fields: a strict
 * body check would otherwise refuse a request whose token was already spent at the provider.
 */
function stripTokenFields(req: IncomingMessage): void {
  const body = (req as { body?: unknown }).body;
  if (typeof body !== 'object' || body === null) return;
  // Deleting a name an object (or an array) does not have is a no-op.
  for (const field of tokenFields) delete (body as Record<string, unknown>)[field];
}

// Stryker disable next-line StringLiteral: an empty default acts as 'any', the value it stands for (only 'score' is tested for)
const defaultStepUp = 'any';

const defaultSubject = (req: IncomingMessage): string => `ip:${getClientInfo(req).ip}`;

/**
 * Score-gated endpoints with a verification-code step-up (002): at or above the action's threshold the request
 * goes through; below it, without a token, with a token that fails a check, or when the provider is down, the
 * client gets 403 `verification_required` with a challenge, and a code by e-mail or SMS. It repeats the request
 * with `X-Verification-Id` and `X-Verification-Code`.
 */
export function captchaGate(options: Readonly<CaptchaGateOptions>): CaptchaGate {
  checkOptionNames(packageName, 'captchaGate()', options, optionNames, {
    hints: { secret: 'verifier', score: 'threshold', minScore: 'threshold', handler: 'onRefused' },
  });
  if (!options || typeof options.verifier?.verify !== 'function') {
    throw configError(
      packageName,
      'verifier',
      options?.verifier,
      'pass recaptchaV3(), recaptchaEnterprise(), hcaptcha() or turnstile().',
    );
  }
  const challenges = options.challenges;
  if (typeof challenges?.check !== 'function' || typeof challenges.issue !== 'function') {
    throw configError(
      packageName,
      'challenges',
      challenges,
      'pass codeChallengeProvider(verificationCodes(...), recipient).',
    );
  }
  if (typeof options.store !== 'object' || options.store === null) {
    throw configError(packageName, 'store', options.store, 'pass a Store (memoryStore() or redisStore()).');
  }
  const hostnames = options.hostnames;
  if (
    hostnames !== 'any' &&
    (!Array.isArray(hostnames) ||
      hostnames.length === 0 ||
      hostnames.some((h) => typeof h !== 'string' || !h))
  ) {
    throw configError(
      packageName,
      'hostnames',
      hostnames,
      "pass your site's hostnames, or 'any' to opt out of the check.",
    );
  }
  const allowedHosts =
    hostnames === 'any' ? undefined : new Set((hostnames as readonly string[]).map((h) => h.toLowerCase()));
  const verifier = options.verifier;
  const defaultThreshold = fraction(packageName, 'threshold', options.threshold, 0.8);
  const thresholds = new Map<string, number>();
  for (const [action, value] of Object.entries(options.thresholds ?? {})) {
    thresholds.set(action, fraction(packageName, `thresholds.${action}`, value, defaultThreshold));
  }
  const maxTokenAgeMs = positiveInteger(
    packageName,
    'maxTokenAgeMs',
    options.maxTokenAgeMs,
    verifier.tokenLifetimeMs,
  );
  const timeoutMs = positiveInteger(packageName, 'timeoutMs', options.timeoutMs, 3000);
  const onProviderDown = oneOf(
    packageName,
    'onProviderDown',
    options.onProviderDown,
    ['challenge', 'block', 'allow'],
    'challenge',
  );
  const requireScore = options.requireScore === true;
  const stepUpOn = oneOf(packageName, 'stepUp', options.stepUp, ['score', 'any'] as const, defaultStepUp);
  const readToken = options.token ?? defaultToken;
  const subjectOf = options.subject ?? defaultSubject;
  const logger = options.logger ?? silentLogger;
  const clock = options.clock ?? systemClock;
  const refuse = refusals(packageName, options.onRefused);
  const seen = prefixedStore(options.store, 'captcha-gate:token:');
  const replayTtlMs = maxTokenAgeMs + clockSkewMs;

  /** Why a result does not pass, or undefined when it does. */
  function judge(result: CaptchaResult, action: string, threshold: number): string | undefined {
    if (!result.valid) return 'token_invalid';
    if (verifier.reportsAction && result.action !== action) return 'action_mismatch';
    if (allowedHosts && (result.hostname === undefined || !allowedHosts.has(result.hostname.toLowerCase())))
      return 'hostname_not_allowed';
    if (result.challengeTime === undefined) return 'token_age_unknown';
    const age = clock.now() - result.challengeTime;
    if (age > maxTokenAgeMs) return 'token_too_old';
    if (age < -clockSkewMs) return 'token_from_future';
    if (result.score === undefined) return requireScore ? 'score_missing' : undefined;
    return result.score >= threshold ? undefined : 'score_below_threshold';
  }

  function require(action: string, routeOptions: { threshold?: number } = {}): RequestHandler {
    if (typeof action !== 'string' || !/^[A-Za-z0-9_/]{1,100}$/.test(action)) {
      throw configError(
        packageName,
        'action',
        action,
        'pass letters, digits, _ or / (reCAPTCHA action rules).',
      );
    }
    const threshold = fraction(
      packageName,
      'threshold',
      routeOptions.threshold,
      thresholds.get(action) ?? defaultThreshold,
    );

    return wrapAsync(async function captchaGateMiddleware(req, res, next) {
      const context = { action, subject: subjectOf(req, action), req };
      const token = readToken(req);
      stripTokenFields(req);

      // A rate limiter sharing this provider already checked this request's code: it is consumed, and it counts.
      const verifiedFor = verifiedOnRequest(req);
      if (verifiedFor !== undefined) {
        res.locals.captcha = { passed: 'verification_code', action: verifiedFor };
        next();
        return;
      }

      const answer = readChallengeAnswer(req);
      if (answer) {
        const checked = await challenges.check(context, answer);
        if (!checked.ok) throw codeCheckError(checked);
        res.locals.captcha = { passed: 'verification_code', action };
        next();
        return;
      }

      let reason: string;
      let result: CaptchaResult | undefined;
      if (!token) reason = 'token_missing';
      else if (token.length > maxTokenLength) reason = 'token_malformed';
      else {
        const hash = createHash('sha256').update(token).digest('base64url');
        if (!(await seen.setIfAbsent(hash, '1', replayTtlMs))) reason = 'token_replayed';
        else {
          try {
            result = await verifier.verify(token, {
              expectedAction: action,
              remoteIp: getClientInfo(req).ip || undefined,
              userAgent: req.headers['user-agent'],
              signal: AbortSignal.timeout(timeoutMs),
            });
            const failed = judge(result, action, threshold);
            if (failed === undefined) {
              res.locals.captcha = { passed: 'score', score: result.score, provider: result.provider };
              next();
              return;
            }
            reason = failed;
          } catch (error) {
            if (!(error instanceof CaptchaUnavailableError)) throw error;
            logger.warn('captcha-gate: provider unavailable', {
              action,
              provider: verifier.provider,
              reason: error.reason,
              policy: onProviderDown,
            });
            if (onProviderDown === 'block') throw error;
            if (onProviderDown === 'allow') {
              res.locals.captcha = { passed: 'provider_down_allowed' };
              next();
              return;
            }
            reason = 'provider_unavailable';
          }
        }
      }

      if (stepUpOn === 'score' && !codeWorthy.has(reason)) {
        logger.debug?.('captcha-gate: refused', { action, reason, provider: verifier.provider });
        throw new ShieldwallError(
          403,
          'captcha_failed',
          'The CAPTCHA was not solved; solve it and try again.',
        );
      }
      logger.info('captcha-gate: verification code required', {
        action,
        reason,
        provider: verifier.provider,
        ...(result?.score !== undefined ? { score: result.score } : {}),
        ...(result && result.reasons.length ? { providerReasons: result.reasons.slice(0, 5) } : {}),
      });
      const challenge = await challenges.issue(context);
      throw verificationRequired(challenge, 'Enter the verification code we sent to continue.');
    }, refuse);
  }

  return { require, challengeProvider: challenges };
}
