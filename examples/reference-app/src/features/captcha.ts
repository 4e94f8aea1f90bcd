import { hkdfSync } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import express, { type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import { getClientInfo, ShieldwallError } from '@shieldwall/core';
import {
  captchaGate,
  codeChallengeProvider,
  hcaptcha,
  mfaDevices,
  recaptchaEnterprise,
  recaptchaV3,
  turnstile,
  verificationCodes,
  type CaptchaVerifier,
  type CodeMessage,
  type MfaDevices,
  type Recipient,
} from '@shieldwall/captcha-gate';
import type { Config } from '../config/index.js';
import type { Services } from '../services.js';
import type { User } from '../users.js';
import { boundDeviceOf, sealTotpSecret } from '../mfa-secrets.js';
import type { Feature } from './feature.js';
import { codeEmail, codeSms } from '../messages/templates.js';
import { sendCapped } from '../messages/destination-cap.js';
import { mountSmsOtpVerify, phoneVerificationAction, smsOtpSubject } from './sms-otp.js';
import { answerVerifiedPhone } from './phone.js';

/** E.164: a plus, a non-zero country digit, at most 15 digits in all. */
export const e164 = /^\+[1-9]\d{6,14}$/;
const plausibleEmail = /^[^\s@]{1,64}@[^\s@]{1,253}\.[^\s@]{2,}$/;

/** Actions whose codes go by SMS to the body's `phone` (the gate's `sms_otp`, the `smsOtp` limiter). */
const smsActions = new Set(['sms_otp', 'smsOtp']);

/**
 * Where a verification code goes for a request: by SMS to the body's E.164 `phone` for SMS-OTP, else by e-mail to
 * the body's `email` (registration, and rate-limit challenges on login and password reset).
 */
export function recipientFor(req: IncomingMessage, action: string): Recipient | undefined {
  const body = (req as { body?: unknown }).body;
  if (typeof body !== 'object' || body === null) return undefined;
  const { email, phone } = body as { email?: unknown; phone?: unknown };
  if (smsActions.has(action))
    return typeof phone === 'string' && e164.test(phone) ? { channel: 'sms', to: phone } : undefined;
  return typeof email === 'string' && email.length <= 254 && plausibleEmail.test(email)
    ? { channel: 'email', to: email.toLowerCase() }
    : undefined;
}

/**
 * The client a gate's code is bound to. On routes behind a limiter this is the subject @shieldwall/rate-limits
 * binds its challenges to (`<limiter>:<key>`, with `req.rateLimit.key` from the limiter that ran just before), so
 * on `register`, where the limiter and the gate share the action, one code answers both: a client stepped up by
 * the gate that meanwhile went over the limit is not asked for a second code. Elsewhere: the client IP.
 */
export function gateSubject(req: IncomingMessage, action: string): string {
  const key = (req as { rateLimit?: { key?: unknown } }).rateLimit?.key;
  return typeof key === 'string' && key ? `${action}:${key}` : `ip:${getClientInfo(req).ip}`;
}

const purpose: Record<string, string> = {
  register: 'finish signing up',
  sms_otp: 'receive your SMS code',
  smsOtp: 'receive your SMS code',
  login: 'sign in',
  passwordReset: 'reset your password',
  password_reset: 'reset your password',
  phone_verification: 'verify your phone number',
};

function sendCode(services: Services): (message: CodeMessage) => Promise<void> {
  return async ({ channel, to, code, action, expiresAt }) => {
    const what = purpose[action] ?? 'continue';
    const minutes = Math.round((expiresAt - services.clock.now()) / 60_000);
    const message =
      channel === 'sms'
        ? codeSms(to, code, what, minutes)
        : codeEmail(services.config.publicOrigin, to, code, what, minutes);
    // POST /api/otp/sms counted its number before issuing (it answers 429 beyond the cap). A step-up's answer
    // must not change with the cap, so beyond it the code is simply never delivered.
    if (action === phoneVerificationAction) await services.outbox.send(message);
    else await sendCapped(services, message, `${action}_code`);
  };
}

function verifierFor(captcha: NonNullable<Config['captcha']>, fetchImpl: typeof fetch): CaptchaVerifier {
  const common = {
    secret: captcha.secret,
    fetch: fetchImpl,
    ...(captcha.verifyUrl ? { url: captcha.verifyUrl } : {}),
  };
  switch (captcha.provider) {
    case 'recaptcha':
      return recaptchaV3(common);
    case 'hcaptcha':
      return hcaptcha({ ...common, ...(captcha.siteKey ? { siteKey: captcha.siteKey } : {}) });
    case 'turnstile':
      return turnstile(common);
    case 'recaptcha-enterprise':
      // The secret is the API key; CAPTCHA_VERIFY_URL names the project's assessments URL:
      // https://recaptchaenterprise.googleapis.com/v1/projects/<project>/assessments
      if (!captcha.verifyUrl || !captcha.siteKey) {
        throw new Error(
          'CAPTCHA_PROVIDER=recaptcha-enterprise needs CAPTCHA_SITE_KEY and CAPTCHA_VERIFY_URL (https://recaptchaenterprise.googleapis.com/v1/projects/<project>/assessments)',
        );
      }
      return recaptchaEnterprise({ ...common, siteKey: captcha.siteKey });
  }
}

/** The MFA devices of the app: enrolment here, the bound-device rule in activities. One store, so one replay cache. */
export function appMfaDevices(services: Services): MfaDevices {
  return mfaDevices({ store: services.store, issuer: 'Shieldwall', clock: services.clock });
}

const readString = (body: unknown, field: string): string | undefined => {
  const value =
    typeof body === 'object' && body !== null ? (body as Record<string, unknown>)[field] : undefined;
  return typeof value === 'string' ? value : undefined;
};

/**
 * The CAPTCHA gate (@shieldwall/captcha-gate) with verification-code step-up, its ChallengeProvider for the rate
 * limiters, `POST /api/otp/sms`, and MFA enrolment. Mounted after the rate limits and before auth.
 *
 * Without a CAPTCHA provider outside production, `guards.captcha` is a documented no-op that warns once at start:
 * development and the other features' tests run without a provider. Production configuration requires one.
 */
export const mountCaptcha: Feature = async (app, services, guards) => {
  const { config, logger, clock, store } = services;
  // Codes are stored as HMACs under a key derived from the first JWT secret (shared by every instance).
  const hashKey = Buffer.from(
    hkdfSync('sha256', config.jwtSecrets[0]!.key, Buffer.alloc(0), 'shieldwall captcha-gate code hash', 32),
  );
  const codes = verificationCodes({ store, clock, hashKey, send: sendCode(services) });
  const challenges = codeChallengeProvider(codes, recipientFor);
  guards.challengeProvider = challenges;

  // The gate reads the token and recipient from the body; the request guard parses bodies globally once mounted,
  // and this parser is a no-op then (body-parser skips a parsed body).
  const json = express.json({ limit: '16kb' });
  const withBody = (gated: RequestHandler, name: string): RequestHandler => {
    const handler = function (req: Request, res: Response, next: NextFunction): void {
      json(req, res, (error?: unknown) => (error ? next(error) : gated(req, res, next)));
    };
    Object.defineProperty(handler, 'name', { value: name });
    return handler;
  };

  if (config.captcha) {
    const gate = captchaGate({
      verifier: verifierFor(config.captcha, services.fetch),
      challenges,
      store,
      hostnames: [new URL(config.publicOrigin).hostname],
      subject: gateSubject,
      // No code for a request that did not solve the CAPTCHA: a step-up must not send messages to an unproven
      // address on demand (docs/guides/step-up.md, "Not a message cannon").
      stepUp: 'score',
      logger,
      clock,
    });
    guards.captcha = (action) => withBody(gate.require(action), 'captchaGate');
  } else {
    if (config.production) throw new Error('CAPTCHA_PROVIDER is required in production');
    logger.warn(
      'captcha gate disabled: no CAPTCHA_PROVIDER configured; registration and SMS OTP are not bot-gated (development only)',
    );
    guards.captcha = () =>
      function captchaGateDisabled(_req: Request, _res: Response, next: NextFunction): void {
        next();
      };
  }

  // POST /api/otp/sms: CAPTCHA-gated and tightly rate-limited (SPEC.md). The code is a verification code of the
  // same kind as the step-up's: 6 digits, hashed, 10 minutes, 5 attempts, bound to the phone.
  // Bound to the number and the session that asked (features/sms-otp.ts); SMS_ROUTES=off mounts neither route.
  if (config.messages.smsRoutes) {
    // Auth mounts after this feature: its guard is looked up per request (now it is the closed placeholder).
    const optionalAuth = function optionalAuthLater(req: Request, res: Response, next: NextFunction): void {
      guards.optionalAuth(req, res, next);
    };
    app.post(
      '/api/otp/sms',
      guards.limit('smsOtp'),
      json,
      optionalAuth,
      answerVerifiedPhone,
      guards.captcha('sms_otp'),
      async (req, res) => {
        const phone = readString(req.body, 'phone');
        if (phone === undefined || !e164.test(phone)) {
          throw new ShieldwallError(
            400,
            'invalid_phone',
            'Send {"phone": "+<country><number>"} in E.164 form.',
          );
        }
        // The number's owner did not ask for these: beyond its cap the requester is told so (the number is the
        // requester's input, so the refusal reveals nothing about anyone's account).
        const capped = await services.destinations.take({ channel: 'sms', to: phone });
        if (!capped.allowed) {
          const seconds = Math.ceil(capped.retryAfterMs / 1000);
          throw new ShieldwallError(
            429,
            'destination_rate_limited',
            'Too many messages to this number. Try again later.',
            { details: { retryAfter: seconds }, headers: { 'Retry-After': String(seconds) } },
          );
        }
        const issued = await codes.issue({
          action: phoneVerificationAction,
          subject: smsOtpSubject(req, res, services, phone),
          recipient: { channel: 'sms', to: phone },
        });
        res.setHeader('Cache-Control', 'no-store');
        res
          .status(202)
          .json({ otp: { id: issued.id, channel: issued.channel, expiresAt: issued.expiresAt } });
      },
    );
    mountSmsOtpVerify(app, services, codes, optionalAuth);
  }

  // MFA enrolment: start (a new TOTP secret for a device id), then verify (the device's first code binds it).
  const devices = appMfaDevices(services);
  // Auth mounts after this feature: look its guard up per request, not now (now it is the closed placeholder).
  const requireAuth = function requireAuthLater(req: Request, res: Response, next: NextFunction): void {
    guards.requireAuth(req, res, next);
  };
  const currentUser = (res: Response): User => (res.locals as { user: User }).user;
  // Once MFA is on, only the bound device may replace it: a stolen session alone cannot rebind the account.
  const boundDevice = devices.requireBoundDevice(async (_req, res) => {
    const user = currentUser(res);
    const device = await boundDeviceOf(services.sealer, user);
    return { userId: user.id, ...(device ? { device } : {}) };
  });

  app.post('/api/auth/mfa/enroll', requireAuth, json, boundDevice, async (req, res) => {
    const deviceId = readString(req.body, 'deviceId') ?? '';
    const user = currentUser(res);
    const started = await devices.begin(user.id, deviceId, user.email);
    res.setHeader('Cache-Control', 'no-store');
    res.json({ mfa: { secret: started.secret, uri: started.uri, expiresAt: started.expiresAt } });
  });

  app.post('/api/auth/mfa/verify', requireAuth, json, async (req, res) => {
    const user = currentUser(res);
    const bound = await devices.confirm(
      user.id,
      readString(req.body, 'deviceId') ?? '',
      readString(req.body, 'code') ?? '',
    );
    const enabledAt = clock.now();
    const secret = await sealTotpSecret(services.sealer, user.id, bound.secret);
    await services.users.update(user.id, { mfa: { secret, deviceId: bound.deviceId, enabledAt } });
    logger.info('mfa enabled', { user: user.id });
    res.setHeader('Cache-Control', 'no-store');
    res.json({ mfa: { deviceId: bound.deviceId, enabledAt } });
  });
};
