import { createHash, createHmac, createSecretKey, randomBytes, randomInt, type KeyObject } from 'node:crypto';
import {
  checkOptionNames,
  configError,
  constantTimeEqual,
  positiveInteger,
  prefixedStore,
  ShieldwallError,
  systemClock,
  type Clock,
  type OptionNames,
  type Store,
} from '@shieldwall/core';
import { packageName } from './constants.js';

const codesOptionNames: OptionNames<VerificationCodesOptions> = {
  store: true,
  send: true,
  hashKey: true,
  ttlMs: true,
  maxAttempts: true,
  maxIssuesPerWindow: true,
  clock: true,
};

/** Where a code goes: the app's e-mail or SMS sender delivers it. */
export interface CodeMessage {
  channel: 'email' | 'sms';
  /** The e-mail address or E.164 phone number. */
  to: string;
  /** The 6-digit code. Never log it. */
  code: string;
  /** The action the code unlocks (for the message text: "your code to register"). */
  action: string;
  expiresAt: number;
}

export type CodeSender = (message: CodeMessage) => Promise<void>;

export interface VerificationCodesOptions {
  /** Where codes are kept (hashed). Keys are prefixed `captcha-gate:code:`. Required. */
  store: Store;
  /** Delivers each code by e-mail or SMS. Required. */
  send: CodeSender;
  /**
   * Key for HMAC-SHA-256 of stored codes (at least 32 bytes; share it across instances). Defaults to none: codes are
   * stored as SHA-256 of challenge id and code, which someone holding a store dump could brute-force (10^6 tries)
   * within the code's ten minutes. Pass a key in production.
   */
  hashKey?: string | Buffer | KeyObject;
  /** How long a code is valid. Defaults to 600000 (10 minutes). */
  ttlMs?: number;
  /** Wrong answers allowed per code; the next answer exhausts it. Defaults to 5. */
  maxAttempts?: number;
  /** Codes issued per subject and action per `ttlMs` window before 429 `verification_rate_limited`. Defaults to 5. */
  maxIssuesPerWindow?: number;
  /** Defaults to the system clock. */
  clock?: Clock;
}

/** How a check ended; every failure has its own stable code (see docs/error-codes.md). */
export type CodeCheck =
  | { ok: true }
  | {
      ok: false;
      code: 'verification_failed' | 'verification_expired' | 'verification_used' | 'verification_exhausted';
      attemptsRemaining?: number;
    };

export interface IssuedCode {
  id: string;
  channel: 'email' | 'sms';
  expiresAt: number;
}

export interface CodeBinding {
  action: string;
  subject: string;
  /** The recipient the code was sent to; a repeated request must name the same one. */
  recipient: { channel: 'email' | 'sms'; to: string };
}

export interface VerificationCodes {
  issue(binding: CodeBinding): Promise<IssuedCode>;
  check(binding: CodeBinding, id: string, answer: string): Promise<CodeCheck>;
  readonly ttlMs: number;
}

interface Record_ {
  /** hash of the code */
  h: string;
  /** binding hash: action, subject, recipient */
  b: string;
  e: number;
}

const messages = {
  verification_failed: 'The verification code is not right.',
  verification_expired: 'The verification code has expired; request a new one.',
  verification_used: 'The verification code has already been used; request a new one.',
  verification_exhausted: 'Too many wrong codes; request a new one.',
} as const;

/** The refusal for a failed check: 403 with the check's code (and attempts left for a wrong code). */
export function codeCheckError(check: Exclude<CodeCheck, { ok: true }>): ShieldwallError {
  return new ShieldwallError(403, check.code, messages[check.code], {
    details: check.attemptsRemaining === undefined ? {} : { attemptsRemaining: check.attemptsRemaining },
  });
}

function toKey(value: VerificationCodesOptions['hashKey']): KeyObject | undefined {
  if (value === undefined) return undefined;
  if (typeof value === 'object' && !Buffer.isBuffer(value)) {
    if (value.type !== 'secret' || (value.symmetricKeySize ?? 0) < 32)
      throw configError(packageName, 'hashKey', 'a KeyObject', 'pass a secret key of at least 32 bytes.');
    return value;
  }
  const bytes = typeof value === 'string' ? Buffer.from(value, 'utf8') : value;
  if (!Buffer.isBuffer(bytes) || bytes.length < 32) {
    throw configError(
      packageName,
      'hashKey',
      typeof value === 'string' ? '(a short string)' : value,
      'pass at least 32 bytes.',
    );
  }
  return createSecretKey(bytes);
}

/**
 * Six-digit verification codes: from `crypto.randomInt`, stored only as a hash, valid 10 minutes, 5 attempts (an
 * atomic counter), single use (`take`), bound to an action, a client and a recipient. The building block of the
 * step-up and of the ChallengeProvider that rate limiters use.
 */
export function verificationCodes(options: Readonly<VerificationCodesOptions>): VerificationCodes {
  checkOptionNames(packageName, 'verificationCodes()', options, codesOptionNames, {
    hints: { ttl: 'ttlMs', ttlSeconds: 'ttlMs', secret: 'hashKey' },
  });
  if (!options || typeof options.store !== 'object' || options.store === null) {
    throw configError(packageName, 'store', options?.store, 'pass a Store (memoryStore() or redisStore()).');
  }
  if (typeof options.send !== 'function') {
    throw configError(packageName, 'send', options.send, 'pass a function that e-mails or texts the code.');
  }
  const store = prefixedStore(options.store, 'captcha-gate:code:');
  const send = options.send;
  const key = toKey(options.hashKey);
  const ttlMs = positiveInteger(packageName, 'ttlMs', options.ttlMs, 600_000);
  const maxAttempts = positiveInteger(packageName, 'maxAttempts', options.maxAttempts, 5);
  const maxIssues = positiveInteger(packageName, 'maxIssuesPerWindow', options.maxIssuesPerWindow, 5);
  const clock = options.clock ?? systemClock;
  // Records outlive their validity by this much, so an expired or used code is told apart from a wrong id.
  const keepMs = ttlMs + 60 * 60_000;

  const hashCode = (id: string, code: string): string =>
    key
      ? createHmac('sha256', key).update(`${id}:${code}`).digest('base64url')
      : createHash('sha256').update(`${id}:${code}`).digest('base64url');
  const bindingHash = (b: CodeBinding): string =>
    createHash('sha256')
      .update(JSON.stringify([b.action, b.subject, b.recipient.channel, b.recipient.to.toLowerCase()]))
      .digest('base64url');

  return {
    ttlMs,
    async issue(binding) {
      const bound = bindingHash(binding);
      // Counted per action and client, whatever the recipient: varying the address sends no more messages.
      const issuer = createHash('sha256')
        .update(JSON.stringify([binding.action, binding.subject]))
        .digest('base64url');
      const issued = await store.increment(`issued:${issuer}`, ttlMs);
      if (issued.value > maxIssues) {
        const retryAfter = Math.max(1, Math.ceil(issued.ttlMs / 1000));
        throw new ShieldwallError(
          429,
          'verification_rate_limited',
          'Too many verification codes; try again later.',
          {
            details: { retryAfter },
            headers: { 'Retry-After': String(retryAfter) },
          },
        );
      }
      const id = randomBytes(16).toString('base64url');
      const code = String(randomInt(0, 1_000_000)).padStart(6, '0');
      const expiresAt = clock.now() + ttlMs;
      const record: Record_ = { h: hashCode(id, code), b: bound, e: expiresAt };
      await store.set(`c:${id}`, JSON.stringify(record), keepMs);
      try {
        await send({
          channel: binding.recipient.channel,
          to: binding.recipient.to,
          code,
          action: binding.action,
          expiresAt,
        });
      } catch (error) {
        await store.delete(`c:${id}`);
        throw error;
      }
      return { id, channel: binding.recipient.channel, expiresAt };
    },

    async check(binding, id, answer) {
      const raw = await store.get(`c:${id}`);
      if (raw === undefined) {
        // Gone: used (and taken) or never issued. A used id is remembered; anything else is simply wrong.
        return (await store.get(`u:${id}`))
          ? { ok: false, code: 'verification_used' }
          : { ok: false, code: 'verification_failed' };
      }
      const record = JSON.parse(raw) as Record_;
      // Another action, client or recipient: the challenge is not theirs. Not counted, so nobody can burn it.
      if (!constantTimeEqual(record.b, bindingHash(binding)))
        return { ok: false, code: 'verification_failed' };
      if (clock.now() >= record.e) return { ok: false, code: 'verification_expired' };
      const attempts = await store.increment(`n:${id}`, keepMs);
      if (attempts.value > maxAttempts) return { ok: false, code: 'verification_exhausted' };
      // The whole hash is compared in constant time: nothing tells how close a wrong code was.
      if (!/^\d{6}$/.test(answer) || !constantTimeEqual(record.h, hashCode(id, answer))) {
        const remaining = maxAttempts - attempts.value;
        return remaining > 0
          ? { ok: false, code: 'verification_failed', attemptsRemaining: remaining }
          : { ok: false, code: 'verification_exhausted' };
      }
      // Single use: of two concurrent right answers exactly one takes the record.
      if ((await store.take(`c:${id}`)) === undefined) return { ok: false, code: 'verification_used' };
      await store.set(`u:${id}`, '1', keepMs);
      return { ok: true };
    },
  };
}
