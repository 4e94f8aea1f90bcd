import { systemClock, type Clock } from '../clock.js';
import { checkOptionNames, type OptionNames } from '../option-names.js';
import { positiveInteger } from '../options.js';
import type { Counter, ScoredMember, Store } from './types.js';
import { shardCount, shardIndexer, Shards } from './shards.js';
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

/** The memory store also counts synchronously, for a caller on a hot path that holds it as a `MemoryStore`. */
export interface MemoryStore extends Store {
  /** `increment`, answered without a promise. */
  incrementNow(key: string, ttlMs: number, by?: number): Counter;
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

/** Test-only view of a memory store's shards (not exported from the package): the key count of each. */
export const shardSizes = Symbol('shardSizes');

/**
 * The embedded default store: one process, bounded in size, expiring keys lazily on read and by an unref'd sweep.
 * A deployment with more than one instance uses the Redis store instead, or limits and single-use checks would
 * be per instance.
 */
export function memoryStore(options: Readonly<MemoryStoreOptions> = {}): MemoryStore {
  checkOptionNames(packageName, 'memoryStore()', options, optionNames, { hints: { max: 'maxEntries' } });
  const maxEntries = positiveInteger(packageName, 'maxEntries', options.maxEntries, 100_000);
  const maxMembers = positiveInteger(packageName, 'maxMembersPerKey', options.maxMembersPerKey, 10_000);
  const sweepIntervalMs = positiveInteger(packageName, 'sweepIntervalMs', options.sweepIntervalMs, 60_000);
  const clock = options.clock ?? systemClock;
  // Two tables, each capped at maxEntries. `entries` evicts its least recently written key when full. `claims` holds
  // what setIfAbsent wrote (replay ids, single-use tokens, locks): evicting one of those early would let it be
  // claimed twice, so when `claims` is full of live keys a new claim is refused instead (fail closed). Both are
  // sharded alike (see shards.ts) so no single Map grows large enough for its rehash to pause the loop; a key's
  // shard is computed once per call, and eviction takes the least recently written key of the shard written to.
  const count = shardCount(maxEntries);
  const shardOf = shardIndexer(count);
  const entries = new Shards<Entry>(maxEntries, count);
  const claims = new Shards<Entry>(maxEntries, count);

  const sweep = (): void => {
    const now = clock.now();
    for (const table of [entries, claims]) {
      for (const [key, entry, shard] of table.entries()) {
        if (entry.expiresAt <= now) table.delete(shard, key);
      }
    }
  };
  const timer = setInterval(sweep, sweepIntervalMs);
  timer.unref();

  const forget = (key: string, shard: number): void => {
    entries.delete(shard, key);
    claims.delete(shard, key);
  };

  const live = (key: string, shard: number): Entry | undefined => {
    const entry = entries.shards[shard]!.get(key) ?? claims.shards[shard]!.get(key);
    if (!entry) return undefined;
    if (entry.expiresAt <= clock.now()) {
      forget(key, shard);
      return undefined;
    }
    return entry;
  };

  const write = (key: string, shard: number, entry: Entry): void => {
    // Re-inserting moves the key to the end, so eviction takes the least recently written key.
    forget(key, shard);
    if (entries.size >= maxEntries || entries.shards[shard]!.size >= entries.shardCap) {
      entries.evictOldest(shard);
    }
    entries.set(shard, key, entry);
  };

  // When `claims` is full, expired claims are looked for a few at a time from a cursor that persists between
  // calls: bounded work per refused claim, and claims with a long TTL cannot hide shorter-lived ones behind them.
  // A full shard is also searched from its oldest claim, since the cursor may be in another shard.
  const scanPerClaim = 64;
  let cursor: Iterator<[string, Entry, number]> = claims.entries();
  const freeExpiredClaims = (): void => {
    const now = clock.now();
    for (let scanned = 0; scanned < scanPerClaim; scanned += 1) {
      let next = cursor.next();
      if (next.done) {
        cursor = claims.entries();
        next = cursor.next();
        if (next.done) return;
      }
      const [key, entry, shard] = next.value;
      if (entry.expiresAt <= now) claims.delete(shard, key);
    }
  };
  const freeExpiredIn = (shard: number): void => {
    const now = clock.now();
    let scanned = 0;
    for (const [key, entry] of claims.shards[shard]!) {
      if (entry.expiresAt <= now) claims.delete(shard, key);
      if ((scanned += 1) >= scanPerClaim) return;
    }
  };

  /** Adds a claim unless `claims` (or its shard) is full of live ones; the caller has checked that `key` is absent. */
  const claim = (key: string, shard: number, entry: Entry): boolean => {
    forget(key, shard);
    const full = (): boolean => claims.size >= maxEntries || claims.shards[shard]!.size >= claims.shardCap;
    if (claims.size >= maxEntries) freeExpiredClaims();
    if (claims.shards[shard]!.size >= claims.shardCap) freeExpiredIn(shard);
    if (full()) return false;
    claims.set(shard, key, entry);
    return true;
  };

  /** The live entry of a plain value (not a scored set) at `key`. */
  const valueEntry = (key: string, shard: number): (Entry & { value: string }) | undefined => {
    const entry = live(key, shard);
    if (entry === undefined) return undefined;
    if (typeof entry.value !== 'string') throw new TypeError(`key holds a scored set, not a value`);
    return entry as Entry & { value: string };
  };
  const stringAt = (key: string, shard: number): string | undefined => valueEntry(key, shard)?.value;

  const incrementNow = (key: string, ttlMs: number, by = 1): Counter => {
    assertKey(key);
    assertTtl(ttlMs);
    if (!Number.isSafeInteger(by)) throw new TypeError('increment must be a whole number');
    const shard = shardOf(key);
    const entry = valueEntry(key, shard);
    const now = clock.now();
    if (entry === undefined) {
      write(key, shard, { value: String(by), expiresAt: now + ttlMs });
      return { value: by, ttlMs };
    }
    const value = Number(entry.value) + by;
    if (!Number.isSafeInteger(value)) throw new TypeError('key does not hold a counter');
    entry.value = String(value);
    return { value, ttlMs: entry.expiresAt - now };
  };

  const store: MemoryStore = {
    async get(key) {
      assertKey(key);
      return stringAt(key, shardOf(key));
    },
    async set(key, value, ttlMs) {
      assertKey(key);
      assertTtl(ttlMs);
      write(key, shardOf(key), { value, expiresAt: clock.now() + ttlMs });
    },
    async setIfAbsent(key, value, ttlMs) {
      assertKey(key);
      assertTtl(ttlMs);
      const shard = shardOf(key);
      if (live(key, shard)) return false;
      return claim(key, shard, { value, expiresAt: clock.now() + ttlMs });
    },
    async take(key) {
      assertKey(key);
      const shard = shardOf(key);
      const value = stringAt(key, shard);
      forget(key, shard);
      return value;
    },
    async delete(key) {
      assertKey(key);
      const shard = shardOf(key);
      const existed = live(key, shard) !== undefined;
      forget(key, shard);
      return existed;
    },
    async increment(key, ttlMs, by = 1): Promise<Counter> {
      return incrementNow(key, ttlMs, by);
    },
    incrementNow,
    async incrementMember(key, member, by, ttlMs) {
      assertKey(key);
      assertTtl(ttlMs);
      const shard = shardOf(key);
      let entry = live(key, shard);
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
      write(key, shard, entry);
      return score;
    },
    async topMembers(key, limit): Promise<ScoredMember[]> {
      assertKey(key);
      const entry = live(key, shardOf(key));
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
  Object.defineProperty(store, shardSizes, {
    value: () => ({
      entries: entries.shards.map((shard) => shard.size),
      claims: claims.shards.map((shard) => shard.size),
    }),
  });
  return store;
}
