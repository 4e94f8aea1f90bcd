import type { NextFunction, Request, RequestHandler, Response } from 'express';
import {
  rateLimit as expressRateLimit,
  type Logger as ErlLogger,
  type RateLimitInfo,
  type Store,
} from 'express-rate-limit';
import type { Logger } from '@shieldwall/core';
import { clientKey, isAllowlisted } from './client-key.js';
import { GuardedStore, StoreBypassed } from './guarded-store.js';
import { ClockMemoryStore } from './memory-store.js';
import type { RateLimitOptions } from './options.js';
import { TimedRedisStore } from './redis-store.js';
import { overLimitHandler } from './refusal.js';
import { runWithCost } from './request-cost.js';
import { resolveOptions, type ResolvedOptions } from './resolve-options.js';

/** A limiter: Express middleware plus what an app needs to manage it. */
export type RateLimitHandler = RequestHandler & {
  readonly limiterName: string;
  /** Forgets one client's count (the key is `req.rateLimit.key`). */
  resetKey(key: string): Promise<void>;
  /** Releases the in-memory store's sweep timer. Never closes a Redis client that was passed in. */
  close(): Promise<void>;
};

// express-rate-limit reports its validation warnings and store errors through this; they reach our logger.
function erlLogger(logger: Logger, name: string): ErlLogger {
  const fields = (error: unknown): Record<string, unknown> => ({
    limiter: name,
    code: (error as { code?: unknown })?.code,
    error: error instanceof Error ? error.message : String(error),
  });
  return {
    warn: (error, message) => logger.warn(message ?? 'express-rate-limit warning', fields(error)),
    error: (error, message) => {
      // Outages are logged by the store once per outage (and how many requests passed unlimited on recovery).
      if (error instanceof StoreBypassed) return;
      logger.error(message ?? 'express-rate-limit error', fields(error));
    },
  };
}

function buildStore(o: ResolvedOptions): Store & { shutdown(): Promise<void> } {
  const memory = (): ClockMemoryStore =>
    new ClockMemoryStore({ clock: o.clock, maxKeys: o.maxMemoryKeys, prefix: o.name });
  if (!o.sendCommand) return memory();
  const redis = new TimedRedisStore({
    sendCommand: o.sendCommand,
    timeoutMs: o.storeTimeoutMs,
    prefix: `${o.prefix}{${o.name}}:`,
  });
  return new GuardedStore(redis, o.onStoreError === 'fallback-memory' ? memory() : undefined, {
    name: o.name,
    policy: o.onStoreError,
    retryAfterMs: o.retryStoreAfterMs,
    clock: o.clock,
    logger: o.logger,
  });
}

type Counted = Request & { rateLimit?: RateLimitInfo };

/**
 * `X-RateLimit-*`, set here rather than by express-rate-limit, whose legacy headers also set a second `Date`
 * (a `toUTCString()` per request) over the one Node writes from its per-second cache.
 */
function setLegacyHeaders(res: Response, info: RateLimitInfo, limitText: string): void {
  res.setHeader('X-RateLimit-Limit', limitText);
  res.setHeader('X-RateLimit-Remaining', String(info.remaining));
  if (info.resetTime) res.setHeader('X-RateLimit-Reset', String(Math.ceil(info.resetTime.getTime() / 1000)));
}

/**
 * One named limiter over express-rate-limit: per limiter name and client IP, fixed windows, `X-RateLimit-*` and
 * (by default) IETF draft-7 `RateLimit` / `RateLimit-Policy` headers, 429 `rate_limited` (or a challenge) over the
 * limit.
 */
export function rateLimit(options: Readonly<RateLimitOptions>): RateLimitHandler {
  const o = resolveOptions(options);
  const store = buildStore(o);
  let warnedTrustProxy = false;
  const { allowlist, skip, cost, key } = o;
  const overLimit = overLimitHandler(o);
  const limitText = String(o.limit);

  const limiter = expressRateLimit({
    windowMs: o.windowMs,
    limit: o.limit,
    legacyHeaders: false,
    standardHeaders: o.standardHeaders,
    identifier: o.name,
    store,
    passOnStoreError: o.onStoreError === 'fail-open',
    logger: erlLogger(o.logger, o.name),
    keyGenerator: (req) => {
      // express-rate-limit's own trust-proxy check runs only in its default key generator; we keep it as a warning.
      if (!warnedTrustProxy && req.app?.get('trust proxy') === true) {
        warnedTrustProxy = true;
        o.logger.warn('trust proxy is true: the client picks its own IP through X-Forwarded-For', {
          limiter: o.name,
          code: 'ERR_ERL_PERMISSIVE_TRUST_PROXY',
        });
      }
      // A keyed limiter counts per its key (hashed by the caller if it is personal), never per IP.
      return key ? `key:${key(req)!}` : clientKey(req, o.ipv6Subnet);
    },
    // Without an allowlist or a skip option, no skip function at all: express-rate-limit's default answers
    // synchronously, and this runs on every request.
    ...(allowlist || skip || key
      ? {
          skip: async (req: Request) => {
            if (key && key(req) === undefined) return true;
            if (allowlist && isAllowlisted(req, allowlist)) return true;
            return skip ? (await skip(req)) === true : false;
          },
        }
      : {}),
    handler: (req: Counted, res, next) => {
      if (req.rateLimit) setLegacyHeaders(res, req.rateLimit, limitText);
      // express-rate-limit sets Retry-After only with its own headers on; the refusal carries it either way.
      overLimit(req, res, next).catch(next);
    },
  });

  // An allowed request gets its headers here, when this limiter counted it (express-rate-limit replaced
  // `req.rateLimit`): a skipped one, or one passed on during a store outage, keeps what an earlier limiter set. An
  // over-limit one got them in `handler`, before a passed challenge raised X-RateLimit-Remaining.
  // express-rate-limit's middleware returns the promise of its own async function: no second one here.
  const counted = (req: Counted, res: Response, next: NextFunction): unknown => {
    const before = req.rateLimit;
    return limiter(req, res, (error?: unknown) => {
      const info = req.rateLimit;
      if (error === undefined && info !== undefined && info !== before && info.used <= info.limit) {
        setLegacyHeaders(res, info, limitText);
      }
      next(error);
    });
  };

  const weighted = async (req: Request, res: Response, next: NextFunction): Promise<void> => {
    const weight = await cost!(req);
    if (!Number.isSafeInteger(weight) || weight < 0)
      throw new TypeError(`${o.name}: cost must be a whole number`);
    if (weight === 0) return next();
    await runWithCost(weight, () => counted(req, res, next));
  };

  const middleware = cost
    ? function rateLimitMiddleware(req: Request, res: Response, next: NextFunction): void {
        weighted(req, res, next).catch(next);
      }
    : function rateLimitMiddleware(req: Request, res: Response, next: NextFunction): void {
        void counted(req, res, next);
      };

  return Object.assign(middleware, {
    limiterName: o.name,
    resetKey: async (key: string) => {
      await store.resetKey(key);
    },
    close: async () => {
      await store.shutdown();
    },
  });
}
