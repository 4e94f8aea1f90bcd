import type { Request, RequestHandler, Response } from 'express';
import { ShieldwallError, type ChallengeProvider } from '@shieldwall/core';
import type { User } from './users.js';

/** Names of the rate-limited endpoint classes (SPEC.md: per client IP and route). */
export type LimitName =
  | 'login'
  | 'loginAccount'
  | 'register'
  | 'passwordReset'
  | 'smsOtp'
  | 'cspReports'
  | 'api'
  | 'sessionKey'
  | 'oauth'
  | 'page';

/**
 * What features hand to each other. app.ts fills it in mounting order: rate limits, then the CAPTCHA gate, then
 * auth, then the key exchange; later features use what earlier ones put here. The placeholders refuse (503) until
 * the feature that owns a guard replaces it, so a missing feature fails closed.
 */
export interface Guards {
  /** A limiter for an endpoint class (@shieldwall/rate-limits). */
  limit(name: LimitName): RequestHandler;
  /** 401 unless a valid access cookie is present; sets `res.locals.user` (@shieldwall/jwt-cookies). */
  requireAuth: RequestHandler;
  /**
   * Like requireAuth, but a request without an access cookie passes anonymous; with one, it must be valid (401
   * otherwise, so a client refreshes instead of being treated as signed out) and sets `res.locals.user`.
   */
  optionalAuth: RequestHandler;
  /** Signs a user in: sets the access and refresh cookies (used by password login and OAuth). */
  signIn(res: Response, user: User): Promise<void>;
  /** Only bodies encrypted under the session's AES key pass (@shieldwall/key-exchange). */
  requireChannel: RequestHandler;
  /** CAPTCHA score gate with verification-code step-up for an action (@shieldwall/captcha-gate). */
  captcha(action: string): RequestHandler;
  /**
   * Issues and checks verification codes (@shieldwall/captcha-gate); rate limiters configured to challenge
   * instead of block read it at request time, since the CAPTCHA feature mounts after the rate limits.
   */
  challengeProvider?: ChallengeProvider;
  /**
   * What else a sign-out ends, run by the logout route before it clears the cookies: the key exchange ends the
   * web session's encrypted channels (and, when it had any, its CSRF tokens) here.
   */
  onSignOut: Array<(req: Request) => Promise<void>>;
}

const notReady = (what: string): ShieldwallError =>
  new ShieldwallError(503, 'service_unavailable', `${what} is not configured.`);

export function placeholderGuards(): Guards {
  return {
    limit: () => (_req, _res, next) => next(notReady('rate limiting')),
    requireAuth: (_req, _res, next) =>
      next(new ShieldwallError(401, 'unauthenticated', 'Sign in to continue.')),
    optionalAuth: (_req, _res, next) => next(notReady('sign-in')),
    signIn: () => Promise.reject(notReady('sign-in')),
    requireChannel: (_req, _res, next) => next(notReady('the encrypted channel')),
    captcha: () => (_req, _res, next) => next(notReady('the CAPTCHA gate')),
    onSignOut: [],
  };
}
