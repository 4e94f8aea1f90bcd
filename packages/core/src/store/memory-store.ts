import { systemClock, type Clock } from '../clock.js';
import { positiveInteger } from '../options.js';
import type { Counter, ScoredMember, Store } from './types.js';
import { assertKey, assertTtl } from './validate.js';

export interface MemoryStoreOptions {
  /** Most keys kept; past it the oldest-written key is evicted. Defaults to 100000. */
  maxEntries?: number;
  /** Most members kept in one scored set; past it the lowest-scored member is dropped. Defaults to 10000. */
  maxMembersPerKey?: number;
  /** How often expired keys are swept, in ms. The timer never holds the process open. Defaults to 60000. */
  sweepIntervalMs?: number;
  /** Defaults to the system clock. */
  clock?: Clock;
}

type Value = string | Map<string, number>;

interface Entry {
  value: Value;
  expiresAt: number;
}

const packageName = '@shieldwall/core';

/**
 * The embedded default store: one process, bounded in size, expiring keys lazily on read and by an unref'd sweep.
 * A deployment with more than one instance uses the Redis store instead, or limits and single-use checks would
 * be per instance.
 */
export function memoryStore(options: Readonly<MemoryStoreOptions> = {}): Store {
  const maxEntries = positiveInteger(packageName, 'maxEntries', options.maxEntries, 100_000);
  const maxMembers = positiveInteger(packageName, 'maxMembersPerKey', options.maxMembersPerKey, 10_000);
  const sweepIntervalMs = positiveInteger(packageName, 'sweepIntervalMs', options.sweepIntervalMs, 60_000);
  const clock = options.clock ?? systemClock;
  const entries = new Map<string, Entry>();

  const sweep = (): void => {
    const now = clock.now();
    for (const [key, entry] of entries) if (entry.expiresAt <= now) entries.delete(key);
  };
  const timer = setInterval(sweep, sweepIntervalMs);
  timer.unref();

  const live = (key: string): Entry | undefined => {
    const entry = entries.get(key);
    if (!entry) return undefined;
    if (entry.expiresAt <= clock.now()) {
      entries.delete(key);
      return undefined;
    }
    return entry;
  };

  const write = (key: string, entry: Entry): void => {
    // Re-inserting moves the key to the end, so eviction takes the least recently written key.
    entries.delete(key);
    if (entries.size >= maxEntries) {
      const oldest = entries.keys().next();
      if (!oldest.done) entries.delete(oldest.value);
    }
    entries.set(key, entry);
  };

  const stringAt = (key: string): string | undefined => {
    const entry = live(key);
    if (entry === undefined) return undefined;
    if (typeof entry.value !== 'string') throw new TypeError(`key holds a scored set, not a value`);
    return entry.value;
  };

  return {
    async get(key) {
      assertKey(key);
      return stringAt(key);
    },
    async set(key, value, ttlMs) {
      assertKey(key);
      assertTtl(ttlMs);
      write(key, { value, expiresAt: clock.now() + ttlMs });
    },
    async setIfAbsent(key, value, ttlMs) {
      assertKey(key);
      assertTtl(ttlMs);
      if (live(key)) return false;
      write(key, { value, expiresAt: clock.now() + ttlMs });
      return true;
    },
    async take(key) {
      assertKey(key);
      const value = stringAt(key);
      entries.delete(key);
      return value;
    },
    async delete(key) {
      assertKey(key);
      const existed = live(key) !== undefined;
      entries.delete(key);
      return existed;
    },
    async increment(key, ttlMs, by = 1): Promise<Counter> {
      assertKey(key);
      assertTtl(ttlMs);
      if (!Number.isSafeInteger(by)) throw new TypeError('increment must be a whole number');
      const current = stringAt(key);
      const now = clock.now();
      if (current === undefined) {
        write(key, { value: String(by), expiresAt: now + ttlMs });
        return { value: by, ttlMs };
      }
      const entry = entries.get(key)!;
      const value = Number(current) + by;
      if (!Number.isSafeInteger(value)) throw new TypeError('key does not hold a counter');
      entry.value = String(value);
      return { value, ttlMs: entry.expiresAt - now };
    },
    async incrementMember(key, member, by, ttlMs) {
      assertKey(key);
      assertTtl(ttlMs);
      let entry = live(key);
      if (entry !== undefined && typeof entry.value === 'string') {
        throw new TypeError('key holds a value, not a scored set');
      }
      const set = (entry?.value as Map<string, number> | undefined) ?? new Map<string, number>();
      const score = (set.get(member) ?? 0) + by;
      set.set(member, score);
      if (set.size > maxMembers) {
        let lowest: string | undefined;
        let lowestScore = Infinity;
        for (const [name, value] of set) {
          if (value < lowestScore && name !== member) {
            lowest = name;
            lowestScore = value;
          }
        }
        if (lowest !== undefined) set.delete(lowest);
      }
      entry = { value: set, expiresAt: clock.now() + ttlMs };
      write(key, entry);
      return score;
    },
    async topMembers(key, limit): Promise<ScoredMember[]> {
      assertKey(key);
      const entry = live(key);
      if (entry === undefined || typeof entry.value === 'string') return [];
      const members = [...entry.value].map(([member, score]) => ({ member, score }));
      members.sort((a, b) => b.score - a.score || (a.member < b.member ? -1 : 1));
      return members.slice(0, Math.max(0, limit));
    },
    async ping() {},
    async close() {
      clearInterval(timer);
    },
  };
}
