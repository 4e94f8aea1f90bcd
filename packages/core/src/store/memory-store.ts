import { systemClock, type Clock } from '../clock.js';
import { checkOptionNames, type OptionNames } from '../option-names.js';
import { positiveInteger } from '../options.js';
import type { Counter, ScoredMember, Store } from './types.js';
import { assertKey, assertTtl } from './validate.js';

export interface MemoryStoreOptions {
  /**
   * Most keys kept; past it the least recently written key is evicted. Keys written by `setIfAbsent` (single-use
   * claims) are counted apart and never evicted before they expire: with `maxEntries` live claims, a new claim is
   * refused (`false`, as if already taken). Defaults to 100000.
   */
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
const optionNames: OptionNames<MemoryStoreOptions> = {
  maxEntries: true,
  maxMembersPerKey: true,
  sweepIntervalMs: true,
  clock: true,
};

/**
 * The embedded default store: one process, bounded in size, expiring keys lazily on read and by an unref'd sweep.
 * A deployment with more than one instance uses the Redis store instead, or limits and single-use checks would
 * be per instance.
 */
export function memoryStore(options: Readonly<MemoryStoreOptions> = {}): Store {
  checkOptionNames(packageName, 'memoryStore()', options, optionNames, { hints: { max: 'maxEntries' } });
  const maxEntries = positiveInteger(packageName, 'maxEntries', options.maxEntries, 100_000);
  const maxMembers = positiveInteger(packageName, 'maxMembersPerKey', options.maxMembersPerKey, 10_000);
  const sweepIntervalMs = positiveInteger(packageName, 'sweepIntervalMs', options.sweepIntervalMs, 60_000);
  const clock = options.clock ?? systemClock;
  // Two maps, each capped at maxEntries. `entries` evicts its least recently written key when full. `claims` holds
  // what setIfAbsent wrote (replay ids, single-use tokens, locks): evicting one of those early would let it be
  // claimed twice, so when `claims` is full of live keys a new claim is refused instead (fail closed).
  const entries = new Map<string, Entry>();
  const claims = new Map<string, Entry>();

  const sweep = (): void => {
    const now = clock.now();
    for (const map of [entries, claims]) {
      for (const [key, entry] of map) if (entry.expiresAt <= now) map.delete(key);
    }
  };
  const timer = setInterval(sweep, sweepIntervalMs);
  timer.unref();

  const forget = (key: string): void => {
    entries.delete(key);
    claims.delete(key);
  };

  const live = (key: string): Entry | undefined => {
    const entry = entries.get(key) ?? claims.get(key);
    if (!entry) return undefined;
    if (entry.expiresAt <= clock.now()) {
      forget(key);
      return undefined;
    }
    return entry;
  };

  const write = (key: string, entry: Entry): void => {
    // Re-inserting moves the key to the end, so eviction takes the least recently written key.
    forget(key);
    if (entries.size >= maxEntries) {
      const oldest = entries.keys().next();
      if (!oldest.done) entries.delete(oldest.value);
    }
    entries.set(key, entry);
  };

  // When `claims` is full, expired claims are looked for a few at a time from a cursor that persists between
  // calls: bounded work per refused claim, and claims with a long TTL cannot hide shorter-lived ones behind them.
  const scanPerClaim = 64;
  let cursor: Iterator<[string, Entry]> = claims.entries();
  const freeExpiredClaims = (): void => {
    const now = clock.now();
    for (let scanned = 0; scanned < scanPerClaim; scanned += 1) {
      let next = cursor.next();
      if (next.done) {
        cursor = claims.entries();
        next = cursor.next();
        if (next.done) return;
      }
      if (next.value[1].expiresAt <= now) claims.delete(next.value[0]);
    }
  };

  /** Adds a claim unless `claims` is full of live ones; the caller has checked that `key` is absent. */
  const claim = (key: string, entry: Entry): boolean => {
    forget(key);
    if (claims.size >= maxEntries) freeExpiredClaims();
    if (claims.size >= maxEntries) return false;
    claims.set(key, entry);
    return true;
  };

  /** The live entry of a plain value (not a scored set) at `key`. */
  const valueEntry = (key: string): (Entry & { value: string }) | undefined => {
    const entry = live(key);
    if (entry === undefined) return undefined;
    if (typeof entry.value !== 'string') throw new TypeError(`key holds a scored set, not a value`);
    return entry as Entry & { value: string };
  };
  const stringAt = (key: string): string | undefined => valueEntry(key)?.value;

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
      return claim(key, { value, expiresAt: clock.now() + ttlMs });
    },
    async take(key) {
      assertKey(key);
      const value = stringAt(key);
      forget(key);
      return value;
    },
    async delete(key) {
      assertKey(key);
      const existed = live(key) !== undefined;
      forget(key);
      return existed;
    },
    async increment(key, ttlMs, by = 1): Promise<Counter> {
      assertKey(key);
      assertTtl(ttlMs);
      if (!Number.isSafeInteger(by)) throw new TypeError('increment must be a whole number');
      const entry = valueEntry(key);
      const now = clock.now();
      if (entry === undefined) {
        write(key, { value: String(by), expiresAt: now + ttlMs });
        return { value: by, ttlMs };
      }
      const value = Number(entry.value) + by;
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
