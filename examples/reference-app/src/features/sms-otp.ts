import { createHash, randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import express, { type Express, type Request, type RequestHandler, type Response } from 'express';
import { ShieldwallError } from '@shieldwall/core';
import { codeCheckError, type VerificationCodes } from '@shieldwall/captcha-gate';
import type { Services } from '../services.js';
import { e164 } from '../messages/message.js';
import type { User } from '../users.js';
import { recordVerifiedPhone } from './phone.js';

// The SMS one-time code's binding to "the session that asked": POST /api/otp/sms sets an HttpOnly, SameSite=Strict
// cookie holding 256 random bits (unless the client has one already), and the code is bound to its hash and the
// number. POST /api/otp/sms/verify must come with the same cookie and number. Signed in or not, the code cannot be
// checked from another browser, or for another number, and a wrong binding does not count an attempt, so
// nobody can burn another session's code.

const cookieTtlMs = 3600_000;
export const phoneVerificationAction = 'phone_verification';

const cookieName = (production: boolean): string => (production ? '__Host-sw_otp' : 'sw_otp');

function readCookie(req: IncomingMessage, name: string): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const separator = part.indexOf('=');
    if (separator > 0 && part.slice(0, separator).trim() === name) {
      const value = part.slice(separator + 1).trim();
      return /^[A-Za-z0-9_-]{43}$/.test(value) ? value : undefined;
    }
  }
  return undefined;
}

const subjectOf = (session: string, phone: string): string =>
  `otp-session:${createHash('sha256').update(session).digest('base64url')}:${phone}`;

/** The code's subject for this request, setting the session cookie when the client has none. */
export function smsOtpSubject(req: Request, res: Response, services: Services, phone: string): string {
  const name = cookieName(services.config.production);
  let session = readCookie(req, name);
  if (!session) {
    session = randomBytes(32).toString('base64url');
    res.cookie(name, session, {
      httpOnly: true,
      secure: services.config.production,
      sameSite: 'strict',
      path: '/',
      maxAge: cookieTtlMs,
    });
  }
  return subjectOf(session, phone);
}

interface VerifyBody {
  phone: string;
  id: string;
  code: string;
}

function readVerifyBody(body: unknown): VerifyBody {
  const refuse = () =>
    new ShieldwallError(400, 'invalid_request', 'Send a JSON object with phone, id and code.');
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw refuse();
  const keys = Object.keys(body).sort().join(',');
  if (keys !== 'code,id,phone') throw refuse();
  const { phone, id, code } = body as Record<string, unknown>;
  if (typeof phone !== 'string' || typeof id !== 'string' || typeof code !== 'string') throw refuse();
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(id) || code.length === 0 || code.length > 16) throw refuse();
  if (!e164.test(phone))
    throw new ShieldwallError(400, 'invalid_phone', 'Send {"phone": "+<country><number>"} in E.164 form.');
  return { phone, id, code };
}

/**
 * POST /api/otp/sms/verify: checks an SMS code (hashed, single use, 5 attempts, 10 minutes: captcha-gate's
 * verification codes), bound to the number and the session cookie that asked for it. Answers 200 with the verified
 * number, and records it on the account when a user is signed in (`optionalAuth`); refusals are 400
 * invalid_request / invalid_phone, 403 verification_failed / _expired / _used / _exhausted and 409 phone_in_use
 * (docs/error-codes.md). Mounted by the CAPTCHA feature, which owns the codes.
 */
export function mountSmsOtpVerify(
  app: Express,
  services: Services,
  codes: VerificationCodes,
  optionalAuth: RequestHandler,
): void {
  const json = express.json({ limit: '16kb' });
  app.post('/api/otp/sms/verify', json, optionalAuth, async (req, res) => {
    const { phone, id, code } = readVerifyBody(req.body);
    const session = readCookie(req, cookieName(services.config.production));
    // No session cookie: nothing to bind to, so nothing is looked up or counted.
    if (!session) throw codeCheckError({ ok: false, code: 'verification_failed' });
    const checked = await codes.check(
      {
        action: phoneVerificationAction,
        subject: subjectOf(session, phone),
        recipient: { channel: 'sms', to: phone },
      },
      id,
      code,
    );
    if (!checked.ok) throw codeCheckError(checked);
    const verifiedAt = services.clock.now();
    // Checked after the code, not before: only whoever holds the number learns that another account has it.
    const user = (res.locals as { user?: User }).user;
    if (user) await recordVerifiedPhone(services.users, user, { number: phone, verifiedAt });
    res.setHeader('Cache-Control', 'no-store');
    res.json({ phone: { number: phone, verified: true, verifiedAt } });
  });
}
