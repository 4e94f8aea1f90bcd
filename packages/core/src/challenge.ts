import type { IncomingMessage } from 'node:http';
import { ShieldwallError } from './errors.js';

/**
 * The meeting point of @shieldwall/rate-limits and @shieldwall/captcha-gate (002: "rate limiting means ...
 * showing verification codes, not blocking access"). A provider issues a challenge to a client and later checks
 * the client's answer; neither side knows how the other works.
 */
export interface ChallengeContext {
  /** What the client is trying to do, for example `register` or `login`. Challenges are bound to it. */
  action: string;
  /** A stable identity of the client for this action (for example the rate-limit key). Challenges are bound to it. */
  subject: string;
  req: IncomingMessage;
}

/** What the client is told: enough to show the right prompt and to answer. */
export interface Challenge {
  id: string;
  /** How the answer reaches the user: `email`, `sms`, `captcha`, ... */
  channel: string;
  /** Epoch milliseconds after which the challenge is gone. */
  expiresAt: number;
}

export interface ChallengeAnswer {
  id: string;
  answer: string;
}

export type ChallengeVerdict = 'passed' | 'failed';

export interface ChallengeProvider {
  issue(context: ChallengeContext): Promise<Challenge>;
  /** Checks (and consumes, when right) an answer; a challenge of another action or subject always fails. */
  verify(context: ChallengeContext, answer: ChallengeAnswer): Promise<ChallengeVerdict>;
}

/** Where a client sends its answer on the repeated request. */
export const challengeHeaders = Object.freeze({
  id: 'x-verification-id',
  answer: 'x-verification-code',
});

/** Reads an answer from the request headers; undefined when either part is missing or implausible. */
export function readChallengeAnswer(req: IncomingMessage): ChallengeAnswer | undefined {
  const id = req.headers[challengeHeaders.id];
  const answer = req.headers[challengeHeaders.answer];
  if (typeof id !== 'string' || typeof answer !== 'string') return undefined;
  if (id.length === 0 || id.length > 128 || answer.length === 0 || answer.length > 64) return undefined;
  return { id, answer };
}

/** The one refusal every challenge-issuing package uses: 403 `verification_required` with the challenge. */
export function verificationRequired(
  challenge: Challenge,
  message = 'Verification is required to continue.',
): ShieldwallError {
  return new ShieldwallError(403, 'verification_required', message, {
    details: { challenge: { id: challenge.id, channel: challenge.channel, expiresAt: challenge.expiresAt } },
  });
}
