import { createHash } from 'node:crypto';
import { withTimeout, type SendCommand } from '@shieldwall/core';
import type { ClientRateLimitInfo } from 'express-rate-limit';
import { RedisStore } from 'rate-limit-redis';
import { currentCost } from './request-cost.js';

const sha1 = (source: string): string => createHash('sha1').update(source).digest('hex');

const isNoScript = (error: unknown): boolean => error instanceof Error && /^NOSCRIPT\b/.test(error.message);

// rate-limit-redis increments by one; a weighted request adds its cost with the same semantics (the first hit
// creates the key with the window as its TTL, later hits never extend it).
const weightedIncrement = `local ttl = redis.call('PTTL', KEYS[1])
if ttl <= 0 then
  redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[1])
  return { tonumber(ARGV[2]), tonumber(ARGV[1]) }
end
return { redis.call('INCRBY', KEYS[1], ARGV[2]), ttl }`;

/**
 * Wraps the caller's `sendCommand` so that every call is bounded by a timeout, and scripts survive a Redis restart
 * or `SCRIPT FLUSH` and work on Redis Cluster: `SCRIPT LOAD` is answered locally with the script's SHA1 (it is
 * deterministic), and an `EVALSHA` answered with NOSCRIPT is sent again as `EVAL`, which runs the script on the
 * node that owns the key and caches it there.
 */
export function boundedSendCommand(
  send: SendCommand,
  timeoutMs: number,
): (args: string[]) => Promise<unknown> {
  const scripts = new Map<string, string>();
  const timed = withTimeout(send, timeoutMs);
  return async (args) => {
    if (args[0]?.toUpperCase() === 'SCRIPT' && args[1]?.toUpperCase() === 'LOAD' && args[2] !== undefined) {
      const sha = sha1(args[2]);
      scripts.set(sha, args[2]);
      return sha;
    }
    try {
      return await timed(args);
    } catch (error) {
      const source = args[0]?.toUpperCase() === 'EVALSHA' ? scripts.get(args[1] ?? '') : undefined;
      if (source === undefined || !isNoScript(error)) throw error;
      return timed(['EVAL', source, ...args.slice(2)]);
    }
  };
}

/**
 * rate-limit-redis, keyed `<prefix>{<limiter>}:<client>`: the hash tag keeps one limiter's keys in one Cluster
 * slot, and every script touches exactly one key, so it runs on any Redis Cluster node that owns that slot.
 */
export class TimedRedisStore extends RedisStore {
  private readonly send: (args: string[]) => Promise<unknown>;
  private readonly weightedSha: string;

  constructor(options: { sendCommand: SendCommand; timeoutMs: number; prefix: string }) {
    const send = boundedSendCommand(options.sendCommand, options.timeoutMs);
    super({ prefix: options.prefix, sendCommand: (...args: string[]) => send(args) as Promise<never> });
    this.send = send;
    this.weightedSha = sha1(weightedIncrement);
    void send(['SCRIPT', 'LOAD', weightedIncrement]);
  }

  override async increment(key: string): Promise<ClientRateLimitInfo> {
    const cost = currentCost();
    if (cost === 1) return super.increment(key);
    const reply = await this.send([
      'EVALSHA',
      this.weightedSha,
      '1',
      this.prefixKey(key),
      String(this.windowMs),
      String(cost),
    ]);
    if (!Array.isArray(reply) || reply.length !== 2) throw new TypeError('unexpected reply from Redis');
    return { totalHits: Number(reply[0]), resetTime: new Date(Date.now() + Number(reply[1])) };
  }
}
