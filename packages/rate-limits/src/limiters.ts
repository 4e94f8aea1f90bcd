import type { LimiterSettings, StoreOptions } from './options.js';
import { rateLimitPresets } from './presets.js';
import { rateLimit, type RateLimitHandler } from './rate-limit.js';
import { checkOptionNames, configError, type OptionNames } from '@shieldwall/core';
import { limiterOptionNames, optionHints, packageName, storeOptionNames } from './resolve-options.js';

export interface RateLimitersOptions extends StoreOptions {
  /** Per-limiter settings by name; names not listed here but in the presets use the preset. Defaults to `{}`. */
  limits?: Readonly<Record<string, Readonly<LimiterSettings>>>;
}

const optionNames: OptionNames<RateLimitersOptions> = { limits: true, ...storeOptionNames };

export interface RateLimiters {
  /** The limiter of that name, built once (each name has one store and one budget). */
  get(name: string): RateLimitHandler;
  close(): Promise<void>;
}

/**
 * A set of named limiters sharing one store configuration: the presets (login, register, passwordReset, smsOtp,
 * cspReports, api, sessionKey, oauth) plus any names in `limits`. Every limiter is validated at start-up.
 */
export function rateLimiters(options: Readonly<RateLimitersOptions> = {}): RateLimiters {
  checkOptionNames(packageName, 'rateLimiters()', options, optionNames, { hints: optionHints });
  const { limits = {}, ...shared } = options;
  if (typeof limits !== 'object' || limits === null) {
    throw configError(packageName, 'limits', limits, 'pass an object of limiter settings by name.');
  }
  for (const [name, settings] of Object.entries(limits)) {
    checkOptionNames(packageName, `rateLimiters({ limits.${name} })`, settings, limiterOptionNames, {
      hints: optionHints,
    });
  }
  const built = new Map<string, RateLimitHandler>();
  for (const name of new Set([...Object.keys(rateLimitPresets), ...Object.keys(limits)])) {
    built.set(name, rateLimit({ ...shared, ...limits[name], name }));
  }
  return {
    get(name) {
      const limiter = built.get(name);
      if (!limiter)
        throw configError(packageName, 'name', name, `use one of ${[...built.keys()].join(', ')}.`);
      return limiter;
    },
    async close() {
      for (const limiter of built.values()) await limiter.close();
    },
  };
}
