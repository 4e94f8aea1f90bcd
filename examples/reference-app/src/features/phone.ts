import type { NextFunction, Request, Response } from 'express';
import { ShieldwallError } from '@shieldwall/core';
import type { User, UserRepository, VerifiedPhone } from '../users.js';

// The verified phone number on the account (issue 18): recorded from an SMS code a signed-in user checked, or from
// a provider that vouches for the number (Telegram's `phone_number`). One account per number; the unique index in
// migration 0003 is what decides.

export const phoneInUse = (): ShieldwallError =>
  new ShieldwallError(
    409,
    'phone_in_use',
    'This phone number is verified on another account. Sign in to that account, or use another number.',
  );

/** Records `phone` on `user`; 409 `phone_in_use` with nothing changed when another account holds the number. */
export async function recordVerifiedPhone(
  users: UserRepository,
  user: User,
  phone: VerifiedPhone,
): Promise<User> {
  const recorded = await users.recordPhone(user.id, phone);
  if (recorded.ok) return recorded.user;
  if (recorded.reason === 'phone_in_use') throw phoneInUse();
  // The account was deleted between sign-in and now: the session is no longer anyone's.
  throw new ShieldwallError(401, 'unauthenticated', 'Sign in to continue.');
}

/**
 * In front of `POST /api/otp/sms`: a signed-in user asking for a code for the number already verified on their
 * account gets 200 with that number instead, and no SMS is sent (nothing is left to prove). Anyone else, or any
 * other number, goes on to the CAPTCHA gate and the code. Needs `res.locals.user` from the optional auth guard.
 */
export function answerVerifiedPhone(req: Request, res: Response, next: NextFunction): void {
  const user = (res.locals as { user?: User }).user;
  const body: unknown = req.body;
  const asked =
    typeof body === 'object' && body !== null ? (body as Record<string, unknown>).phone : undefined;
  if (!user?.phone || asked !== user.phone.number) {
    next();
    return;
  }
  res.setHeader('Cache-Control', 'no-store');
  res.json({ phone: { number: user.phone.number, verified: true, verifiedAt: user.phone.verifiedAt } });
}
