import type { NextFunction, Request, Response } from 'express';
import type { RateLimitInfo, Store } from 'express-rate-limit';
import { readChallengeAnswer, ShieldwallError, verificationRequired } from '@shieldwall/core';
import type { ResolvedOptions } from './resolve-options.js';

function retryAfterSeconds(info: RateLimitInfo | undefined, windowMs: number): number {
  const reset = info?.resetTime?.getTime();
  const ms = reset === undefined ? windowMs : reset - Date.now();
  return Math.max(1, Math.ceil(ms / 1000));
}

export function rateLimited(seconds: number): ShieldwallError {
  return new ShieldwallError(429, 'rate_limited', 'Too many requests; try again later.', {
    details: { retryAfter: seconds },
    headers: { 'Retry-After': String(seconds) },
  });
}

/**
 * What happens to a request over the limit: a 429, or (for a limiter with a challenge provider, within
 * `maxChallenges` requests past the limit) a 403 `verification_required`. A correct answer lets the request
 * through and refreshes the client's budget.
 */
export function overLimitHandler(
  settings: ResolvedOptions,
  store: Pick<Store, 'resetKey'>,
): (req: Request, res: Response, next: NextFunction) => Promise<void> {
  const { challenge, challengeAction, maxChallenges, limit, windowMs, name, refuse } = settings;
  return async function overLimit(req, res, next) {
    const info = (req as Request & { rateLimit?: RateLimitInfo }).rateLimit;
    const provider = challenge?.(req);
    const used = info?.used ?? Infinity;
    if (!provider || used > limit + maxChallenges) {
      refuse(rateLimited(retryAfterSeconds(info, windowMs)), req, res, next);
      return;
    }
    const context = { action: challengeAction, subject: `${name}:${info?.key ?? ''}`, req };
    const answer = readChallengeAnswer(req);
    if (answer && (await provider.verify(context, answer)) === 'passed') {
      await store.resetKey(info!.key);
      res.removeHeader('Retry-After');
      res.setHeader('X-RateLimit-Remaining', String(limit));
      next();
      return;
    }
    const issued = await provider.issue(context);
    res.removeHeader('Retry-After');
    refuse(
      verificationRequired(issued, 'Too many requests: verification is required to continue.'),
      req,
      res,
      next,
    );
  };
}
