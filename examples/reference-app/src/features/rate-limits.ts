import { createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Request } from 'express';
import { rateLimiters } from '@shieldwall/rate-limits';
import type { LimitName } from '../guards.js';
import type { Feature } from './feature.js';

/**
 * The account a sign-in names, hashed (keys must not carry addresses): attempts against one account from many IPs
 * share the `loginAccount` budget. A body without an e-mail string is not counted there (the per-IP limit holds).
 */
export function accountKey(req: IncomingMessage): string | undefined {
  const body = (req as { body?: unknown }).body;
  const email = typeof body === 'object' && body !== null ? (body as { email?: unknown }).email : undefined;
  if (typeof email !== 'string' || email.length === 0 || email.length > 254) return undefined;
  return createHash('sha256').update(email.trim().toLowerCase()).digest('base64url');
}

/** Routes with a limiter of their own that the general `api` budget leaves alone (browsers send reports in bursts). */
const ownBudget = new Set(['/api/csp-report-endpoint']);

/**
 * Per client IP and endpoint-class limits (@shieldwall/rate-limits), mounted after the request guard (which resolves
 * the client IP) and the headers, before every other feature. Counts live in Redis when REDIS_URL is set (shared by
 * every instance; a Redis outage falls back to in-memory limits), else in memory. Every `/api` route carries the
 * general `api` budget; features add their endpoint's limiter through `guards.limit(name)`. Login and registration
 * challenge instead of block once the CAPTCHA feature has set `guards.challengeProvider`; until then they answer 429.
 */
export const mountRateLimits: Feature = async (app, services, guards) => {
  const challenge = (): typeof guards.challengeProvider => guards.challengeProvider;
  const limiters = rateLimiters({
    ...(services.sendCommand ? { sendCommand: services.sendCommand } : {}),
    clock: services.clock,
    logger: services.logger,
    limits: {
      login: { challenge },
      // Per account, beside per IP: over it, the code goes to the account's own address, so its owner gets through
      // and a spread-out guesser does not. Same action as login's, so one answered code satisfies both limiters.
      loginAccount: {
        limit: 10,
        windowMs: 15 * 60_000,
        key: accountKey,
        challenge,
        challengeAction: 'login',
      },
      register: { challenge },
      api: { skip: (req) => ownBudget.has((req as Request).baseUrl + (req as Request).path) },
      // GET /: each render makes a CSRF token (no stored state until a channel opens); a person reloads far less.
      page: { limit: 60, windowMs: 60_000 },
    },
  });
  guards.limit = (name: LimitName) => limiters.get(name);
  app.use('/api', limiters.get('api'));
  return () => limiters.close();
};
