import type { NextFunction, Request, Response } from 'express';
import type { RateLimitInfo } from 'express-rate-limit';
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

const answeredKey = Symbol.for('shieldwall.rateLimits.answered');
type Answered = Request & { [answeredKey]?: string };

/**
 * What happens to a request over the limit: a 429, or (for a limiter with a challenge provider, within
 * `maxChallenges` requests past the limit) a 403 `verification_required`. A correct answer lets that one request
 * through; it never refills the budget, so solving challenges buys at most `maxChallenges` requests per window
 * (a code sent to one's own mailbox must not buy guesses against another account). A request that already passed
 * a challenge of the same action at another limiter (per IP, then per account) is not challenged twice.
 */
export function overLimitHandler(
  settings: ResolvedOptions,
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
    if ((req as Answered)[answeredKey] === challengeAction) {
      res.removeHeader('Retry-After');
      next();
      return;
    }
    // Stryker disable next-line StringLiteral: express-rate-limit sets req.rateLimit before it calls the handler; the fallback only satisfies the type
    const context = { action: challengeAction, subject: `${name}:${info?.key ?? ''}`, req };
    const answer = readChallengeAnswer(req);
    if (answer && (await provider.verify(context, answer)) === 'passed') {
      (req as Answered)[answeredKey] = challengeAction;
      res.removeHeader('Retry-After');
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
