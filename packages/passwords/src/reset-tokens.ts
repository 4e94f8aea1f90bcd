import { createHash, randomBytes } from 'node:crypto';
import {
  checkOptionNames,
  configError,
  positiveInteger,
  systemClock,
  type Clock,
  type OptionNames,
  type Store,
} from '@shieldwall/core';

const packageName = '@shieldwall/passwords';
const tokenShape = /^[A-Za-z0-9_-]{43}$/;

export interface ResetDelivery {
  /** Who asked: the app's user id and e-mail address. */
  userId: string;
  email: string;
  /** The token to put in the link. Never log it. */
  token: string;
  /** Epoch milliseconds after which the token no longer works. */
  expiresAt: number;
}

export interface ResetTokensOptions {
  /** Where token hashes are kept; pass a prefixed view (`prefixedStore(store, 'pw:')`). Required. */
  store: Store;
  /** Delivers the token, normally by e-mail with a link. Required. */
  send(delivery: ResetDelivery): Promise<void>;
  /** How long a token works, in seconds. Defaults to 1800 (30 minutes). */
  ttlSeconds?: number;
  /** Defaults to the system clock. */
  clock?: Clock;
}

const optionNames: OptionNames<ResetTokensOptions> = {
  store: true,
  send: true,
  ttlSeconds: true,
  clock: true,
};

export interface ResetTokens {
  /** Makes a token (32 random bytes), keeps only its SHA-256 hash with a TTL, and hands the token to `send`. */
  issue(user: { id: string; email: string }): Promise<void>;
  /**
   * Uses a token up: atomically takes its record, so of two concurrent uses exactly one gets the user id. Returns
   * undefined for a malformed, unknown, used or expired token.
   */
  consume(token: unknown): Promise<string | undefined>;
}

const keyOf = (token: string): string => `reset:${createHash('sha256').update(token).digest('hex')}`;

/** Single-use, expiring password-reset tokens, stored only as hashes. */
export function resetTokens(options: Readonly<ResetTokensOptions>): ResetTokens {
  checkOptionNames(packageName, 'resetTokens()', options, optionNames, {
    hints: { ttl: 'ttlSeconds', expiresIn: 'ttlSeconds', deliver: 'send' },
  });
  const { store, send } = options;
  if (!store || typeof store.take !== 'function')
    throw configError(packageName, 'store', store, 'pass a core Store (memoryStore() or redisStore()).');
  if (typeof send !== 'function')
    throw configError(packageName, 'send', send, 'pass an async function that delivers the token.');
  const ttlMs = positiveInteger(packageName, 'ttlSeconds', options.ttlSeconds, 1800) * 1000;
  const clock = options.clock ?? systemClock;

  return {
    async issue(user) {
      const token = randomBytes(32).toString('base64url');
      const expiresAt = clock.now() + ttlMs;
      await store.set(keyOf(token), JSON.stringify({ userId: user.id, expiresAt }), ttlMs);
      await send({ userId: user.id, email: user.email, token, expiresAt });
    },
    async consume(token) {
      if (typeof token !== 'string' || !tokenShape.test(token)) return undefined;
      const raw = await store.take(keyOf(token));
      if (raw === undefined) return undefined;
      const record = JSON.parse(raw) as { userId: string; expiresAt: number };
      // The store's TTL is the main expiry; this check also holds when the store's clock and ours differ.
      return clock.now() < record.expiresAt ? record.userId : undefined;
    },
  };
}
