import type { Request } from 'express';
import { rateLimiters } from '@shieldwall/rate-limits';
import type { LimitName } from '../guards.js';
import type { Feature } from './feature.js';

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
      register: { challenge },
      api: { skip: (req) => ownBudget.has((req as Request).baseUrl + (req as Request).path) },
    },
  });
  guards.limit = (name: LimitName) => limiters.get(name);
  app.use('/api', limiters.get('api'));
  return () => limiters.close();
};
