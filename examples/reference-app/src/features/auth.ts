import express, { type NextFunction, type Request, type Response } from 'express';
import { ShieldwallError, prefixedStore, wrapAsync } from '@shieldwall/core';
import { jwtCookies, type AccessClaims } from '@shieldwall/jwt-cookies';
import { passwords, resetTokens } from '@shieldwall/passwords';
import type { User } from '../users.js';
import { maskPhone } from '../mask-phone.js';
import type { Feature } from './feature.js';
import { readBody } from './auth/input.js';
import { sendAlreadyRegistered, sendReset, sendVerification } from './auth/mail.js';

const publicUser = (user: User) => ({
  id: user.id,
  email: user.email,
  emailVerified: user.emailVerified,
  createdAt: user.createdAt,
  // Masked like the referrals' e-mails: the account page shows which number, not the number to whoever holds it.
  phone: user.phone ? maskPhone(user.phone.number) : null,
});

const verificationTokenInvalid = (): ShieldwallError =>
  new ShieldwallError(400, 'verification_token_invalid', 'This link is invalid, used or expired.');
const resetTokenInvalid = (): ShieldwallError =>
  new ShieldwallError(400, 'reset_token_invalid', 'This reset link is invalid, used or expired.');

/**
 * Sign-up, sign-in, refresh, logout, `me` and password reset (SPEC.md), on @shieldwall/jwt-cookies and
 * @shieldwall/passwords. Replaces `guards.requireAuth` (sets `res.locals.user`) and `guards.signIn`.
 */
export const mountAuth: Feature = async (app, services, guards) => {
  const { config, clock, logger, users } = services;
  const jwt = jwtCookies({
    keys: config.jwtSecrets,
    secure: config.production,
    issuer: config.publicOrigin,
    audience: config.publicOrigin,
    refreshPath: '/api/auth',
    store: services.store,
    storePrefix: 'jwt:',
    clock,
    logger,
    // Logout and password reset end access tokens too, not only refresh: within 5 s on every instance, at once on
    // the one that ended them (docs/guides/sessions-and-passwords.md).
    sessionCheck: { cacheMs: 5000 },
  });
  const hasher = passwords({ cost: config.bcryptCost });
  const resets = resetTokens({
    store: prefixedStore(services.store, 'pw:'),
    clock,
    send: ({ email, token, expiresAt }) => sendReset(services, email, token, expiresAt),
  });
  const verifications = resetTokens({
    store: prefixedStore(services.store, 'verify:'),
    clock,
    ttlSeconds: 24 * 3600,
    send: ({ email, token }) => sendVerification(services, email, token),
  });

  // Bodies are parsed by the request guard once it is mounted; until then (and harmlessly after: body-parser skips
  // a parsed body) these routes parse small JSON bodies themselves.
  const json = express.json({ limit: '16kb' });

  // The reset mail is written after the answer, so the response time does not tell whether an account exists
  // (SPEC.md: 202 whether or not the e-mail exists). Failures are logged; the client has its answer already.
  // Registration writes its mail before answering, on both paths (new or taken address): one outbox row each.
  const afterResponse = async (what: string, work: () => Promise<void>): Promise<void> => {
    try {
      await work();
    } catch (error) {
      logger.error(`${what} failed`, { error: (error as Error).message });
    }
  };

  /** After the token check: the token's user in `res.locals.user`, or 401 when it no longer exists. */
  const loadUser = (res: Response, next: NextFunction) => (error?: unknown) => {
    if (error) return next(error);
    const claims = res.locals.auth as AccessClaims | undefined;
    if (!claims) return next();
    users.findById(claims.sub).then((user) => {
      if (!user) return next(new ShieldwallError(401, 'unauthenticated', 'Sign in to continue.'));
      res.locals.user = user;
      next();
    }, next);
  };
  guards.requireAuth = function requireUser(req: Request, res: Response, next: NextFunction): void {
    jwt.requireAuth(req, res, loadUser(res, next));
  };
  guards.optionalAuth = function optionalUser(req: Request, res: Response, next: NextFunction): void {
    jwt.optionalAuth(req, res, loadUser(res, next));
  };
  guards.signIn = (res, user) => jwt.signIn(res, user.id);

  app.post(
    '/api/auth/register',
    guards.limit('register'),
    guards.captcha('register'),
    json,
    async (req, res) => {
      const { email, password, referralCode } = readBody(
        req.body,
        ['email', 'password'],
        'Send a JSON object with email, password and optionally referralCode.',
        {},
        ['referralCode'],
      );
      // A code that names nobody is refused before anything is written (a typo should not silently lose the link).
      const referrer = referralCode ? await users.findByReferralCode(referralCode) : undefined;
      if (referralCode && !referrer)
        throw new ShieldwallError(400, 'referral_code_invalid', 'This referral code is not known.');
      // Hash first, whether or not the address is taken: both paths cost the same and answer the same, so the
      // response does not reveal who has an account.
      const passwordHash = await hasher.hash(password);
      // The verification e-mail is written in the transaction that creates the user: both or neither.
      const user = await users.create(
        {
          email,
          passwordHash,
          emailVerified: false,
          ...(referrer ? { referredBy: referrer.id } : {}),
        },
        (created) => verifications.issue(created),
      );
      // An address that is taken gets a notice instead (no change is written, so it is an outbox row of its own).
      if (!user) await sendAlreadyRegistered(services, email.toLowerCase());
      res.status(202).json({ status: 'verification_sent' });
    },
  );

  // 256-bit single-use tokens: the general api budget is enough here.
  app.post('/api/auth/verify-email', json, async (req, res) => {
    const { token } = readBody(req.body, ['token'], 'Send a JSON object with the token from the e-mail.', {
      token: verificationTokenInvalid,
    });
    const userId = await verifications.consume(token);
    if (!userId || !(await users.update(userId, { emailVerified: true }))) throw verificationTokenInvalid();
    res.status(204).end();
  });

  app.post('/api/auth/login', guards.limit('login'), json, guards.limit('loginAccount'), async (req, res) => {
    const { email, password } = readBody(
      req.body,
      ['email', 'password'],
      'Send a JSON object with email and password.',
    );
    const user = await users.findByEmail(email);
    // One bcrypt verification whatever happens (unknown address, no password, too long): equal time.
    const ok = await hasher.verify(password, user?.passwordHash);
    if (!user || !ok)
      throw new ShieldwallError(401, 'invalid_credentials', 'The e-mail or password is wrong.');
    if (hasher.needsRehash(user.passwordHash!)) {
      // The cost was raised since this hash was made: upgrade it now that we hold the password.
      hasher
        .hash(password)
        .then((passwordHash) => users.update(user.id, { passwordHash }))
        .catch((error: Error) => logger.warn('password rehash failed', { error: error.message }));
    }
    await jwt.signIn(res, user.id);
    res.json({ user: publicUser(user) });
  });

  app.post('/api/auth/refresh', jwt.refresh);
  const endSessions = wrapAsync(async function endSessions(req, _res, next) {
    for (const hook of guards.onSignOut) await hook(req);
    next();
  });
  app.post('/api/auth/logout', endSessions, jwt.logout);

  app.post(
    '/api/auth/logout-all',
    guards.requireAuth,
    wrapAsync(async function revokeEverySession(_req, res, next) {
      const { id } = res.locals.user as User;
      // "Sign out everywhere": every refresh family of the user, and their access tokens (sessionCheck), then this
      // browser's own channels and cookies as a plain sign-out.
      const revoked = await jwt.revokeUser(id);
      logger.info('signed out everywhere', { user: id, sessionsRevoked: revoked });
      next();
    }),
    endSessions,
    jwt.logout,
  );
  app.get('/api/auth/me', guards.requireAuth, (_req, res) => {
    const user = res.locals.user as User;
    res.setHeader('Cache-Control', 'no-store');
    // mfaEnabled: the account page asks for an authenticator code where the bound device is required.
    res.json({ user: { ...publicUser(user), mfaEnabled: user.mfa !== undefined } });
  });

  // Anti-bot gated (002): each request may send an e-mail, so it costs a solved CAPTCHA, like registration.
  app.post(
    '/api/auth/password-reset',
    guards.limit('passwordReset'),
    guards.captcha('password_reset'),
    json,
    async (req, res) => {
      const { email } = readBody(req.body, ['email'], 'Send a JSON object with email.');
      const user = await users.findByEmail(email);
      res.status(202).json({ status: 'accepted' });
      if (user) await afterResponse('password reset mail', () => resets.issue(user));
    },
  );

  app.post('/api/auth/password-reset/confirm', guards.limit('passwordReset'), json, async (req, res) => {
    const { token, password } = readBody(
      req.body,
      ['token', 'password'],
      'Send a JSON object with the token from the e-mail and the new password.',
      { token: resetTokenInvalid },
    );
    // The policy is checked before the token is spent, so a refused password does not burn the link.
    const passwordHash = await hasher.hash(password);
    const userId = await resets.consume(token);
    // The link proved the mailbox, so the address counts as verified.
    if (!userId || !(await users.update(userId, { passwordHash, emailVerified: true })))
      throw resetTokenInvalid();
    const revoked = await jwt.revokeUser(userId);
    logger.info('password reset', { user: userId, sessionsRevoked: revoked });
    res.status(204).end();
  });

  return async () => {
    await hasher.close();
    await jwt.close();
  };
};
