import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { ShieldwallError, checkOptionNames, refusals, wrapAsync } from '@shieldwall/core';
import { cookieJar } from './cookies.js';
import { familyStore, newId as newJti } from './families.js';
import { optionHints, optionNames, packageName, resolveOptions, type JwtCookiesOptions } from './options.js';
import { sessionChecker } from './sessions.js';
import { TokenError, tokenCodec, type AccessClaims } from './tokens.js';

export interface JwtCookies {
  /**
   * 401 `unauthenticated`, `token_expired` or `token_invalid` unless a valid access cookie came; sets
   * `res.locals.auth` and `Cache-Control: no-store`.
   */
  requireAuth: RequestHandler;
  /** Like requireAuth, but a request without an access cookie passes through anonymous (and cacheable). */
  optionalAuth: RequestHandler;
  /** Starts a refresh family for the subject and sets both cookies on the response. */
  signIn(res: Response, subject: string): Promise<void>;
  /** Route handler: rotates the refresh token, re-issues both cookies, answers 204. */
  refresh: RequestHandler;
  /** Route handler: revokes the family, clears both cookies, answers 204. */
  logout: RequestHandler;
  /**
   * Ends every session of a subject, however many (password reset, "sign out everywhere"): refresh is refused for
   * all of them, and with `sessionCheck` so are their access tokens. Resolves to how many families were deleted.
   */
  revokeUser(subject: string): Promise<number>;
  /** Verifies an access token; throws the same 401 ShieldwallErrors requireAuth sends. */
  verifyAccessToken(token: string): AccessClaims;
  /** The cookie names in use (with prefixes when secure). */
  readonly cookieNames: { access: string; refresh: string };
  /** Releases the in-memory store when this instance made one. */
  close(): Promise<void>;
}

const unauthenticated = (): ShieldwallError =>
  new ShieldwallError(401, 'unauthenticated', 'Sign in to continue.');
const accessRefusal = (problem: TokenError['problem']): ShieldwallError =>
  problem === 'expired'
    ? new ShieldwallError(401, 'token_expired', 'The access token has expired; refresh it and retry.')
    : new ShieldwallError(401, 'token_invalid', 'The access token is not valid; sign in again.');

/** Access and refresh JWTs in HttpOnly cookies, with rotation, reuse detection and signing-key rotation. */
export function jwtCookies(options: Readonly<JwtCookiesOptions>): JwtCookies {
  checkOptionNames(packageName, 'jwtCookies()', options, optionNames, { hints: optionHints });
  const o = resolveOptions(options ?? ({} as JwtCookiesOptions));
  const refuse = refusals(packageName, options.onRefused);
  const codec = tokenCodec(o);
  const jar = cookieJar(o);
  const families = familyStore(o);
  const sessions = sessionChecker(o, families);

  const verifyAccessToken = (token: string): AccessClaims => {
    try {
      return codec.verifyAccess(token);
    } catch (error) {
      if (error instanceof TokenError) throw accessRefusal(error.problem);
      throw error;
    }
  };

  const issue = (res: Response, sub: string, family: string, jti: string, exp: number): void => {
    jar.setAccess(res, codec.signAccess(sub, family));
    jar.setRefresh(
      res,
      codec.signRefresh(sub, family, jti, exp),
      Math.max(0, exp - Math.floor(o.clock.now() / 1000)),
    );
  };

  const refuseRefresh = (
    req: Request,
    res: Response,
    next: NextFunction,
    code: string,
    message: string,
  ): void => {
    jar.clear(res);
    refuse(new ShieldwallError(401, code, message), req, res, next);
  };

  const authenticate = (optional: boolean) =>
    function jwtCookiesAuth(req: Request, res: Response, next: NextFunction): void {
      const token = jar.read(req).access;
      if (!token) {
        if (optional) next();
        else refuse(unauthenticated(), req, res, next);
        return;
      }
      let claims: AccessClaims;
      try {
        claims = verifyAccessToken(token);
      } catch (error) {
        refuse(error, req, res, next);
        return;
      }
      // An answer for a signed-in user is personal: no browser or shared cache may keep it.
      res.setHeader('Cache-Control', 'no-store');
      if (!sessions.enabled) {
        res.locals[o.localsKey] = claims;
        next();
        return;
      }
      sessions.isLive(claims.sub, claims.sid).then((live) => {
        if (!live)
          return refuseRefresh(req, res, next, 'session_revoked', 'The session has ended; sign in again.');
        res.locals[o.localsKey] = claims;
        next();
      }, next);
    };

  const refresh = wrapAsync(async function jwtCookiesRefresh(req, res, next) {
    const token = jar.read(req).refresh;
    if (!token) return refuse(unauthenticated(), req, res, next);
    let claims;
    try {
      claims = codec.verifyRefresh(token);
    } catch (error) {
      if (!(error instanceof TokenError)) throw error;
      return error.problem === 'expired'
        ? refuseRefresh(req, res, next, 'session_expired', 'The session has expired; sign in again.')
        : refuseRefresh(req, res, next, 'token_invalid', 'The refresh token is not valid; sign in again.');
    }
    const family = await families.get(claims.fam);
    if (!family)
      return refuseRefresh(req, res, next, 'session_revoked', 'The session has ended; sign in again.');
    if (family.sub !== claims.sub)
      return refuseRefresh(req, res, next, 'token_invalid', 'The refresh token is not valid; sign in again.');
    if (o.clock.now() >= family.expiresAt)
      return refuseRefresh(req, res, next, 'session_expired', 'The session has expired; sign in again.');
    if (!families.isLive(family, await families.epochOf(claims.sub)))
      return refuseRefresh(req, res, next, 'session_revoked', 'The session has ended; sign in again.');
    const result = await families.claim(claims.jti, claims.exp, family);
    if (result.kind === 'reused') {
      await families.revoke(claims.fam);
      o.logger.warn('refresh token reuse: family revoked', { family: claims.fam, subject: claims.sub });
      return refuseRefresh(
        req,
        res,
        next,
        'refresh_reused',
        'This refresh token was already used; the session has been ended. Sign in again.',
      );
    }
    issue(res, claims.sub, claims.fam, result.jti, result.exp);
    res.status(204).end();
  }, refuse);

  const logout = wrapAsync(async function jwtCookiesLogout(req, res) {
    const { access, refresh: refreshToken } = jar.read(req);
    let family: string | undefined;
    // The signature must still hold; an expired token may end its own session.
    if (refreshToken) {
      try {
        family = codec.verifyRefresh(refreshToken, { ignoreExpiration: true }).fam;
      } catch {
        family = undefined;
      }
    }
    if (!family && access) {
      try {
        family = codec.verifyAccess(access, { ignoreExpiration: true }).sid;
      } catch {
        family = undefined;
      }
    }
    if (family) {
      await families.revoke(family);
      sessions.ended(family);
    }
    jar.clear(res);
    res.status(204).end();
  });

  return {
    requireAuth: authenticate(false),
    optionalAuth: authenticate(true),
    async signIn(res, subject) {
      if (typeof subject !== 'string' || subject.length === 0)
        throw new TypeError(`${packageName}: signIn needs a non-empty subject`);
      const { id, family } = await families.create(subject);
      const exp = Math.floor(Math.min(o.clock.now() + o.refreshTtl * 1000, family.expiresAt) / 1000);
      issue(res, subject, id, newJti(), exp);
    },
    refresh,
    logout,
    async revokeUser(subject) {
      const revoked = await families.revokeUser(subject);
      sessions.endedAll();
      return revoked;
    },
    verifyAccessToken,
    cookieNames: { access: o.accessName, refresh: o.refreshName },
    async close() {
      await o.ownStore?.close();
    },
  };
}
