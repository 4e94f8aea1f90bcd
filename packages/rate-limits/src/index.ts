export { rateLimit, type RateLimitHandler } from './rate-limit.js';
export { rateLimiters, type RateLimiters, type RateLimitersOptions } from './limiters.js';
export { rateLimitPresets, type LimitPreset, type PresetName } from './presets.js';
export { boundedSendCommand } from './redis-store.js';
export type {
  ChallengeSource,
  LimiterSettings,
  OutagePolicy,
  RateLimitOptions,
  StoreOptions,
} from './options.js';
