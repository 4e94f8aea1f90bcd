import type { IncomingMessage } from 'node:http';
import { BlockList, isIP } from 'node:net';
import {
  checkOptionNames,
  configError,
  oneOf,
  positiveInteger,
  refusals,
  silentLogger,
  systemClock,
  type ChallengeProvider,
  type Clock,
  type Logger,
  type OptionNames,
  type Refuse,
  type SendCommand,
} from '@shieldwall/core';
import type {
  LimiterSettings,
  OutagePolicy,
  RateLimitOptions,
  StandardHeaders,
  StoreOptions,
} from './options.js';
import { presetFor } from './presets.js';

export const packageName = '@shieldwall/rate-limits';

export const storeOptionNames: OptionNames<StoreOptions> = {
  sendCommand: true,
  prefix: true,
  storeTimeoutMs: true,
  retryStoreAfterMs: true,
  onStoreError: true,
  maxMemoryKeys: true,
  clock: true,
  logger: true,
  onRefused: true,
  ipv6Subnet: true,
  allowlist: true,
  standardHeaders: true,
};

export const limiterOptionNames: OptionNames<LimiterSettings> = {
  limit: true,
  windowMs: true,
  challenge: true,
  challengeAction: true,
  maxChallenges: true,
  cost: true,
  skip: true,
  key: true,
};

const optionNames: OptionNames<RateLimitOptions> = {
  name: true,
  ...storeOptionNames,
  ...limiterOptionNames,
};

// express-rate-limit's names, which people bring with them.
export const optionHints: Readonly<Record<string, string>> = {
  max: 'limit',
  window: 'windowMs',
  store: 'sendCommand',
  handler: 'onRefused',
  legacyHeaders: 'standardHeaders',
};

/** The validated, defaulted form of the options; built once per limiter, never shared with the caller. */
export interface ResolvedOptions {
  name: string;
  limit: number;
  windowMs: number;
  sendCommand: SendCommand | undefined;
  prefix: string;
  storeTimeoutMs: number;
  retryStoreAfterMs: number;
  onStoreError: OutagePolicy;
  maxMemoryKeys: number;
  clock: Clock;
  logger: Logger;
  refuse: Refuse;
  ipv6Subnet: number;
  allowlist: BlockList | undefined;
  challenge: ((req: IncomingMessage) => ChallengeProvider | undefined) | undefined;
  challengeAction: string;
  maxChallenges: number;
  cost: RateLimitOptions['cost'];
  skip: RateLimitOptions['skip'];
  key: RateLimitOptions['key'];
  standardHeaders: StandardHeaders;
}

const namePattern = /^[A-Za-z][A-Za-z0-9_-]{0,63}$/;

function optionalFunction<T>(option: string, value: T): T {
  if (value !== undefined && typeof value !== 'function') {
    throw configError(packageName, option, value, 'pass a function.');
  }
  return value;
}

function isProvider(value: unknown): value is ChallengeProvider {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as ChallengeProvider).issue === 'function' &&
    typeof (value as ChallengeProvider).verify === 'function'
  );
}

function challengeSource(value: unknown): ResolvedOptions['challenge'] {
  if (value === undefined) return undefined;
  if (isProvider(value)) return () => value;
  if (typeof value === 'function') return value as ResolvedOptions['challenge'];
  throw configError(
    packageName,
    'challenge',
    value,
    'pass a ChallengeProvider ({ issue, verify }) or a function that returns one at request time.',
  );
}

function allowlist(value: unknown): BlockList | undefined {
  if (value === undefined) return undefined;
  if (!Array.isArray(value))
    throw configError(packageName, 'allowlist', value, 'pass an array of IPs or CIDRs.');
  if (value.length === 0) return undefined;
  const list = new BlockList();
  for (const entry of value as unknown[]) {
    const [address, bits, extra] = typeof entry === 'string' ? entry.split('/') : [];
    const family = address ? isIP(address) : 0;
    const prefix = bits === undefined ? undefined : Number(bits);
    const max = family === 4 ? 32 : 128;
    if (
      family === 0 ||
      extra !== undefined ||
      (prefix !== undefined && (!/^\d{1,3}$/.test(bits!) || prefix > max))
    ) {
      throw configError(
        packageName,
        'allowlist',
        entry,
        'each entry must be an IP or CIDR such as "10.0.0.0/8".',
      );
    }
    const type = family === 4 ? 'ipv4' : 'ipv6';
    if (prefix === undefined) list.addAddress(address!, type);
    else list.addSubnet(address!, prefix, type);
  }
  return list;
}

function standardHeaders(value: unknown): StandardHeaders {
  if (value === undefined) return 'draft-7';
  if (value === false || value === 'draft-6' || value === 'draft-7' || value === 'draft-8') return value;
  throw configError(
    packageName,
    'standardHeaders',
    value,
    'pass "draft-7" (the default), "draft-8", "draft-6" or false (X-RateLimit-* only).',
  );
}

function objectWith<T>(option: string, value: T | undefined, methods: string[], fallback: T): T {
  if (value === undefined) return fallback;
  const ok =
    typeof value === 'object' &&
    value !== null &&
    methods.every((m) => typeof (value as Record<string, unknown>)[m] === 'function');
  if (!ok) throw configError(packageName, option, value, `pass an object with ${methods.join(', ')}().`);
  return value;
}

/** Validates everything once, at start-up; the caller's object is read, never written. */
export function resolveOptions(options: Readonly<RateLimitOptions>): ResolvedOptions {
  checkOptionNames(packageName, 'rateLimit()', options, optionNames, { hints: optionHints });
  if (typeof options !== 'object') {
    throw configError(packageName, 'options', options, 'pass an object with at least a `name`.');
  }
  const { name } = options;
  if (typeof name !== 'string' || !namePattern.test(name)) {
    throw configError(
      packageName,
      'name',
      name,
      'pass a name of letters, digits, "_" or "-" (at most 64), e.g. "login".',
    );
  }
  const preset = presetFor(name);
  const prefix = options.prefix ?? 'sw:rl:';
  if (typeof prefix !== 'string' || /[{}\s]/.test(prefix) || prefix.length > 64) {
    throw configError(packageName, 'prefix', prefix, 'pass a short string without braces or spaces.');
  }
  const ipv6Subnet = options.ipv6Subnet ?? 56;
  if (!Number.isInteger(ipv6Subnet) || ipv6Subnet < 32 || ipv6Subnet > 64) {
    throw configError(
      packageName,
      'ipv6Subnet',
      ipv6Subnet,
      'pass a whole number from 32 to 64 (56 suits most ISPs).',
    );
  }
  const maxChallenges = options.maxChallenges ?? 5;
  if (!Number.isSafeInteger(maxChallenges) || maxChallenges < 0) {
    throw configError(packageName, 'maxChallenges', maxChallenges, 'pass a whole number of 0 or more.');
  }
  const challengeAction = options.challengeAction ?? name;
  if (typeof challengeAction !== 'string' || challengeAction.length === 0 || challengeAction.length > 64) {
    throw configError(packageName, 'challengeAction', challengeAction, 'pass a short non-empty string.');
  }
  const windowMs = positiveInteger(packageName, 'windowMs', options.windowMs, preset?.windowMs ?? 60_000);
  if (windowMs > 2 ** 31 - 1)
    throw configError(packageName, 'windowMs', windowMs, 'pass at most 2147483647 (24.8 days).');
  return {
    name,
    limit: positiveInteger(packageName, 'limit', options.limit, preset?.limit ?? 100),
    windowMs,
    sendCommand: optionalFunction('sendCommand', options.sendCommand),
    prefix,
    storeTimeoutMs: positiveInteger(packageName, 'storeTimeoutMs', options.storeTimeoutMs, 500),
    retryStoreAfterMs: positiveInteger(packageName, 'retryStoreAfterMs', options.retryStoreAfterMs, 5000),
    onStoreError: oneOf(
      packageName,
      'onStoreError',
      options.onStoreError,
      ['fallback-memory', 'fail-open', 'fail-closed'] as const,
      'fallback-memory',
    ),
    maxMemoryKeys: positiveInteger(packageName, 'maxMemoryKeys', options.maxMemoryKeys, 10_000),
    clock: objectWith('clock', options.clock, ['now'], systemClock),
    logger: objectWith('logger', options.logger, ['info', 'warn', 'error'], silentLogger),
    refuse: refusals(packageName, options.onRefused),
    ipv6Subnet,
    allowlist: allowlist(options.allowlist),
    challenge: challengeSource(options.challenge),
    challengeAction,
    maxChallenges,
    cost: optionalFunction('cost', options.cost),
    skip: optionalFunction('skip', options.skip),
    key: optionalFunction('key', options.key),
    standardHeaders: standardHeaders(options.standardHeaders),
  };
}
