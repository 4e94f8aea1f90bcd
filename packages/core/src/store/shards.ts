import { randomBytes } from 'node:crypto';

/**
 * Most keys one shard may hold. A JavaScript `Map` rehashes every entry in one step when it grows (or, after
 * deletions, compacts) past its capacity: about 0.7 ms for 4,096 entries and 12 ms for 65,536 on the bench machine
 * under load. Capping each shard bounds the longest of those pauses, whatever `maxEntries` is.
 */
export const maxShardKeys = 8_192;

/** How many shards a table of `maxEntries` keys gets: each one's even share at most half of `maxShardKeys`. */
export function shardCount(maxEntries: number): number {
  let count = 1;
  while (Math.ceil(maxEntries / count) > maxShardKeys / 2) count *= 2;
  return count;
}

/**
 * The shard of a key, by a hash seeded at random per store so no client can aim its keys at one shard: FNV-1a
 * from a random basis, then murmur3's finaliser so the low bits depend on every bit of the key.
 */
export function shardIndexer(count: number): (key: string) => number {
  if (count === 1) return () => 0;
  const mask = count - 1;
  const seed = randomBytes(4).readUInt32LE(0);
  return (key) => {
    let h = seed;
    for (let i = 0; i < key.length; i += 1) h = Math.imul(h ^ key.charCodeAt(i), 16_777_619);
    h = Math.imul(h ^ (h >>> 16), 0x85eb_ca6b);
    h = Math.imul(h ^ (h >>> 13), 0xc2b2_ae35);
    return (h ^ (h >>> 16)) & mask;
  };
}

/**
 * One table of keys spread over `count` Maps. Each shard holds at most twice its even share of `maxEntries` (so
 * never more than `maxShardKeys`); `size` counts every shard. Within a shard, iteration is insertion order.
 */
export class Shards<V> {
  readonly shards: Map<string, V>[];
  /** The most keys one shard takes: a writer evicts (or refuses) past it even while `size` is below the total. */
  readonly shardCap: number;
  size = 0;
  // One live iterator per shard for eviction: a fresh `keys().next()` would walk past every slot deleted since the
  // Map last rehashed (tens of µs per eviction at a few thousand), where a kept iterator resumes where it stopped.
  private readonly oldest: Array<IterableIterator<string> | undefined>;

  constructor(maxEntries: number, count: number) {
    this.oldest = new Array<IterableIterator<string> | undefined>(count);
    this.shards = Array.from({ length: count }, () => new Map<string, V>());
    this.shardCap = Math.min(maxEntries, 2 * Math.ceil(maxEntries / count));
  }

  set(shard: number, key: string, value: V): void {
    const map = this.shards[shard]!;
    const before = map.size;
    map.set(key, value);
    this.size += map.size - before;
  }

  delete(shard: number, key: string): boolean {
    if (!this.shards[shard]!.delete(key)) return false;
    this.size -= 1;
    return true;
  }

  /** Removes the least recently inserted key of `shard`, or of the first non-empty shard when it is empty. */
  evictOldest(shard: number): void {
    const from = this.shards[shard]!.size > 0 ? shard : this.shards.findIndex((s) => s.size > 0);
    if (from < 0) return;
    const map = this.shards[from]!;
    let next = this.oldest[from]?.next();
    if (next === undefined || next.done === true) {
      // An iterator that reached the end stays done, even after new keys arrive.
      const fresh = map.keys();
      this.oldest[from] = fresh;
      next = fresh.next();
    }
    if (next.done !== true) this.delete(from, next.value);
  }

  /** Every entry with its shard; deleting the current entry while iterating is safe. */
  *entries(): IterableIterator<[key: string, value: V, shard: number]> {
    for (let shard = 0; shard < this.shards.length; shard += 1) {
      for (const [key, value] of this.shards[shard]!) yield [key, value, shard];
    }
  }
}
