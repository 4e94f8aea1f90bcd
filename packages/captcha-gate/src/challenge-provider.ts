import type { IncomingMessage } from 'node:http';
import {
  configError,
  ShieldwallError,
  type Challenge,
  type ChallengeAnswer,
  type ChallengeContext,
  type ChallengeProvider,
  type ChallengeVerdict,
} from '@shieldwall/core';
import { packageName } from './constants.js';
import type { CodeCheck, VerificationCodes } from './codes.js';

export interface Recipient {
  channel: 'email' | 'sms';
  to: string;
}

/**
 * Where the code for a request goes, read from the request (for example the e-mail in a registration body, the
 * phone in an SMS-OTP body, or the signed-in user's address). Undefined when the request names nobody.
 */
export type RecipientResolver = (req: IncomingMessage, action: string) => Recipient | undefined;

export interface CodeChallengeProvider extends ChallengeProvider {
  /** Like `verify`, with the reason a check failed (for a precise error code). */
  check(context: ChallengeContext, answer: ChallengeAnswer): Promise<CodeCheck>;
}

const verifiedKey = Symbol.for('shieldwall.captchaGate.verified');
type Marked = IncomingMessage & { [verifiedKey]?: string };

/**
 * The action whose code this very request answered correctly, if any. A rate limiter in front of the gate may
 * have checked (and consumed) the request's answer already; the gate then accepts that instead of checking again.
 */
export function verifiedOnRequest(req: IncomingMessage): string | undefined {
  return (req as Marked)[verifiedKey];
}

export function recipientRequired(): ShieldwallError {
  return new ShieldwallError(
    400,
    'verification_recipient_required',
    'Verification is required, and the request names no address to send a code to.',
  );
}

/**
 * Core's ChallengeProvider over verification codes: `issue` sends a 6-digit code to the request's recipient and
 * returns the challenge; `verify` checks (and consumes) an answer bound to the same action, subject and recipient.
 * A rate limiter set to challenge instead of block and the CAPTCHA gate share it, so both use one flow.
 */
export function codeChallengeProvider(
  codes: VerificationCodes,
  recipient: RecipientResolver,
): CodeChallengeProvider {
  if (typeof recipient !== 'function') {
    throw configError(
      packageName,
      'recipient',
      recipient,
      'pass a function (req, action) => {channel, to} | undefined.',
    );
  }
  const binding = (context: ChallengeContext) => {
    const to = recipient(context.req, context.action);
    return to ? { action: context.action, subject: context.subject, recipient: to } : undefined;
  };
  const check = async (context: ChallengeContext, answer: ChallengeAnswer): Promise<CodeCheck> => {
    const bound = binding(context);
    if (!bound) return { ok: false, code: 'verification_failed' };
    const checked = await codes.check(bound, answer.id, answer.answer);
    if (checked.ok) (context.req as Marked)[verifiedKey] = context.action;
    return checked;
  };
  return {
    async issue(context): Promise<Challenge> {
      const bound = binding(context);
      if (!bound) throw recipientRequired();
      return codes.issue(bound);
    },
    check,
    async verify(context, answer): Promise<ChallengeVerdict> {
      return (await check(context, answer)).ok ? 'passed' : 'failed';
    },
  };
}
