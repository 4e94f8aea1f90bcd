import { createHash } from 'node:crypto';

export interface RedisScript {
  source: string;
  sha: string;
}

function script(source: string): RedisScript {
  return { source, sha: createHash('sha1').update(source).digest('hex') };
}

// The TTL is set only when INCRBY created the key, so a window never slides. A key left without a TTL (by a crash
// between two commands in some other client) is given one rather than living forever.
export const incrementScript = script(`
local value = redis.call('INCRBY', KEYS[1], ARGV[1])
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  ttl = tonumber(ARGV[2])
end
return {value, ttl}
`);

// ZINCRBY, refresh the TTL, and keep only the highest-scored members, in one step.
export const incrementMemberScript = script(`
local score = redis.call('ZINCRBY', KEYS[1], ARGV[2], ARGV[1])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
local size = redis.call('ZCARD', KEYS[1])
local max = tonumber(ARGV[4])
if size > max then
  redis.call('ZREMRANGEBYRANK', KEYS[1], 0, size - max - 1)
end
return score
`);
