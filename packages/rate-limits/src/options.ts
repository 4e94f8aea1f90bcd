import type { IncomingMessage } from 'node:http';
import type { ChallengeProvider, Clock, Logger, OnRefused, SendCommand } from '@shieldwall/core';

/** What to do when the Redis store does not answer in time. */
export type OutagePolicy = 'fallback-memory' | 'fail-open' | 'fail-closed';

/** Which IETF draft's `RateLimit` header set is sent besides `X-RateLimit-*`, or none. */
export type StandardHeaders = 'draft-6' | 'draft-7' | 'draft-8' | false;

/** A provider, or a function that finds one at request time (undefined: block with 429 instead). */
export type ChallengeSource = ChallengeProvider | ((req: IncomingMessage) => ChallengeProvider | undefined);

/** Options shared by every limiter of a `rateLimiters()` set, and accepted by each `rateLimit()`. */
export interface StoreOptions {
  /**
   * Sends one command to Redis (core's `SendCommand` shape). When given, counts live in Redis through
   * rate-limit-redis and are shared by every instance. Defaults to undefined: an in-memory store per limiter.
   */
  sendCommand?: SendCommand;
  /** Prepended to every Redis key; the limiter's name follows as a hash tag. Defaults to `"sw:rl:"`. */
  prefix?: string;
  /** Longest wait for one Redis command before it counts as an outage, in ms. Defaults to 500. */
  storeTimeoutMs?: number;
  /** After an outage, how long to wait before asking Redis again, in ms. Defaults to 5000. */
  retryStoreAfterMs?: number;
  /** What to do while Redis is down. Defaults to `"fallback-memory"`. */
  onStoreError?: OutagePolicy;
  /** Most client keys one in-memory limiter (or fallback) keeps; the oldest are evicted. Defaults to 10000. */
  maxMemoryKeys?: number;
  /** Windows, resets and the outage back-off read this clock. Defaults to the system clock. */
  clock?: Clock;
  /** Outages, recoveries and express-rate-limit's validation warnings go here. Defaults to a silent logger. */
  logger?: Logger;
  /**
   * Takes over the refusals (429 `rate_limited`, 403 `verification_required`): `(error, req, res, next)`, with
   * `error.status`, `error.code`, `error.headers` (Retry-After) and `error.details`. Defaults to sending the JSON
   * envelope, so no error handler is needed; call `next(error)` to hand them to yours.
   */
  onRefused?: OnRefused;
  /** IPv6 clients are grouped by this prefix length (32 to 64). Defaults to 56. */
  ipv6Subnet?: number;
  /** IPs and CIDRs (`10.0.0.0/8`, `::1`) that are never limited: health checks, internal networks. Defaults to none. */
  allowlist?: readonly string[];
  /**
   * The IETF draft `RateLimit` headers sent besides `X-RateLimit-*`: `"draft-7"` (`RateLimit` and
   * `RateLimit-Policy`, two headers), `"draft-8"` (named entries that several limiters append to, with a SHA-256
   * partition key per request), `"draft-6"` (four headers) or `false` (none). Defaults to `"draft-7"`, the cheapest
   * that still says the window.
   */
  standardHeaders?: StandardHeaders;
}

/** One limiter's own settings. */
export interface LimiterSettings {
  /** Requests (or weight) allowed per window. Defaults to the preset of the same name, else 100. */
  limit?: number;
  /** The fixed window in ms. Defaults to the preset of the same name, else 60000. */
  windowMs?: number;
  /** When set, an over-limit request is offered a challenge instead of a 429. Defaults to undefined (block). */
  challenge?: ChallengeSource;
  /** The action challenges are bound to. Defaults to the limiter's name. */
  challengeAction?: string;
  /** Over-limit requests that may still be challenged (or answer) before a plain 429. Defaults to 5. */
  maxChallenges?: number;
  /** The weight of a request (a whole number; 0 does not count it). Defaults to 1 for every request. */
  cost?: (req: IncomingMessage) => number | Promise<number>;
  /**
   * Counts requests per this key instead of per client IP: for example a hash of the account a sign-in names, so
   * attempts against one account from many IPs share one budget. A request it returns undefined for is not
   * limited by this limiter. Keys name people: hash them. Defaults to none (per client IP).
   */
  key?: (req: IncomingMessage) => string | undefined;
  /** Requests for which this returns true are not limited. Defaults to none. */
  skip?: (req: IncomingMessage) => boolean | Promise<boolean>;
}

export interface RateLimitOptions extends StoreOptions, LimiterSettings {
  /**
   * The limiter's name: part of every key (so each endpoint class has its own budget), the Redis hash tag and the
   * IETF `RateLimit` policy name. Letters, digits, `_` and `-`. Required.
   */
  name: string;
}
