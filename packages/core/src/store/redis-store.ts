import { StoreUnavailableError } from '../errors.js';
import { checkOptionNames, type OptionNames } from '../option-names.js';
import { configError, positiveInteger } from '../options.js';
import { incrementMemberScript, incrementScript, type RedisScript } from './redis-scripts.js';
import type { Counter, ScoredMember, Store } from './types.js';
import { withTimeout } from './with-timeout.js';
import { assertKey, assertTtl } from './validate.js';

/**
 * Sends one command to Redis and resolves with its reply. Any client fits:
 * node-redis: `(args) => client.sendCommand(args)`; ioredis: `(args) => client.call(args[0]!, ...args.slice(1))`.
 */
export type SendCommand = (args: string[]) => Promise<unknown>;

export interface RedisStoreOptions {
  sendCommand: SendCommand;
  /** Prepended to every key. Defaults to `"sw:"`. */
  prefix?: string;
  /** Longest wait for one command before it fails with StoreUnavailableError, in ms. Defaults to 1000. */
  timeoutMs?: number;
  /** Most members kept in one scored set. Defaults to 10000. */
  maxMembersPerKey?: number;
}

const packageName = '@shieldwall/core';
const optionNames: OptionNames<RedisStoreOptions> = {
  sendCommand: true,
  prefix: true,
  timeoutMs: true,
  maxMembersPerKey: true,
};

// Redis replies with errors such as "WRONGTYPE ..." or "ERR ..."; those are bugs, not outages, and pass through.
function isRedisReplyError(error: unknown): boolean {
  return (
    error instanceof Error &&
    /^(ERR|WRONGTYPE|NOSCRIPT|BUSY|READONLY|NOPERM|EXECABORT|OOM)\b/.test(error.message)
  );
}

function isNoScript(error: unknown): boolean {
  return error instanceof Error && error.message.startsWith('NOSCRIPT');
}

function asString(reply: unknown): string | undefined {
  if (reply === null || reply === undefined) return undefined;
  if (typeof reply === 'string') return reply;
  if (Buffer.isBuffer(reply)) return reply.toString('utf8');
  if (typeof reply === 'number') return String(reply);
  throw new TypeError('unexpected reply from Redis');
}

function asNumber(reply: unknown): number {
  const value = typeof reply === 'number' ? reply : Number(reply);
  if (!Number.isFinite(value)) throw new TypeError('unexpected reply from Redis');
  return value;
}

/** The store for deployments with more than one instance: every operation is one atomic Redis command or script. */
export function redisStore(options: Readonly<RedisStoreOptions>): Store {
  checkOptionNames(packageName, 'redisStore()', options, optionNames, {
    hints: { client: 'sendCommand', redis: 'sendCommand', url: 'sendCommand' },
  });
  if (typeof options?.sendCommand !== 'function') {
    throw configError(
      packageName,
      'sendCommand',
      options?.sendCommand,
      'pass a function that sends one command to Redis, e.g. (args) => client.sendCommand(args).',
    );
  }
  const send = options.sendCommand;
  const prefix = options.prefix ?? 'sw:';
  if (typeof prefix !== 'string') throw configError(packageName, 'prefix', prefix, 'pass a string.');
  const timeoutMs = positiveInteger(packageName, 'timeoutMs', options.timeoutMs, 1000);
  const maxMembers = positiveInteger(packageName, 'maxMembersPerKey', options.maxMembersPerKey, 10_000);

  const timed = withTimeout(send, timeoutMs);
  const command = async (args: string[]): Promise<unknown> => {
    try {
      return await timed(args);
    } catch (error) {
      if (error instanceof StoreUnavailableError || isRedisReplyError(error)) throw error;
      throw new StoreUnavailableError('Redis is unavailable', error);
    }
  };

  // EVALSHA first; a Redis restart or SCRIPT FLUSH forgets scripts, and EVAL loads it again.
  const run = async (s: RedisScript, keys: string[], args: string[]): Promise<unknown> => {
    const tail = [String(keys.length), ...keys, ...args];
    try {
      return await command(['EVALSHA', s.sha, ...tail]);
    } catch (error) {
      if (!isNoScript(error)) throw error;
      return command(['EVAL', s.source, ...tail]);
    }
  };

  const k = (key: string): string => {
    assertKey(key);
    return prefix + key;
  };

  return {
    async get(key) {
      return asString(await command(['GET', k(key)]));
    },
    async set(key, value, ttlMs) {
      assertTtl(ttlMs);
      await command(['SET', k(key), value, 'PX', String(ttlMs)]);
    },
    async setIfAbsent(key, value, ttlMs) {
      assertTtl(ttlMs);
      const reply = await command(['SET', k(key), value, 'PX', String(ttlMs), 'NX']);
      return reply === 'OK';
    },
    async take(key) {
      return asString(await command(['GETDEL', k(key)]));
    },
    async delete(key) {
      return asNumber(await command(['DEL', k(key)])) > 0;
    },
    async increment(key, ttlMs, by = 1): Promise<Counter> {
      assertTtl(ttlMs);
      if (!Number.isSafeInteger(by)) throw new TypeError('increment must be a whole number');
      const reply = await run(incrementScript, [k(key)], [String(by), String(ttlMs)]);
      if (!Array.isArray(reply)) throw new TypeError('unexpected reply from Redis');
      return { value: asNumber(reply[0]), ttlMs: asNumber(reply[1]) };
    },
    async incrementMember(key, member, by, ttlMs) {
      assertTtl(ttlMs);
      const reply = await run(
        incrementMemberScript,
        [k(key)],
        [member, String(by), String(ttlMs), String(maxMembers)],
      );
      return asNumber(reply);
    },
    async topMembers(key, limit): Promise<ScoredMember[]> {
      if (limit <= 0) return [];
      const reply = await command(['ZRANGE', k(key), '0', String(limit - 1), 'REV', 'WITHSCORES']);
      if (!Array.isArray(reply)) return [];
      const members: ScoredMember[] = [];
      for (let i = 0; i + 1 < reply.length; i += 2) {
        members.push({ member: asString(reply[i]) ?? '', score: asNumber(reply[i + 1]) });
      }
      return members;
    },
    async ping() {
      const reply = await command(['PING']);
      if (reply !== 'PONG') throw new StoreUnavailableError('Redis answered PING unexpectedly');
    },
    close() {
      return Promise.resolve();
    },
  };
}
