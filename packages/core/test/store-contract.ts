import type { Store } from '../src/index.js';

/**
 * The behaviour every Store must have. Run against the memory store and, on a real server, the Redis store.
 * `expire` makes a key's TTL pass: the memory store advances its clock, the Redis run waits out a short TTL.
 */
export function storeContract(
  name: string,
  setup: () => Promise<{
    store: Store;
    expire: (ms: number) => Promise<void>;
    teardown: () => Promise<void>;
  }>,
  shortTtl: number,
): void {
  describe(`${name} store contract`, () => {
    let store: Store;
    let expire: (ms: number) => Promise<void>;
    let teardown: () => Promise<void>;

    beforeEach(async () => {
      ({ store, expire, teardown } = await setup());
    });
    afterEach(async () => {
      await teardown();
    });

    it('gets what was set, and nothing for unknown keys', async () => {
      await store.set('a', 'one', 60_000);
      expect(await store.get('a')).toBe('one');
      expect(await store.get('missing')).toBeUndefined();
    });

    it('replaces values on set', async () => {
      await store.set('a', 'one', 60_000);
      await store.set('a', 'two', 60_000);
      expect(await store.get('a')).toBe('two');
    });

    it('forgets keys after their TTL', async () => {
      await store.set('a', 'one', shortTtl);
      await expire(shortTtl + 20);
      expect(await store.get('a')).toBeUndefined();
    });

    it('setIfAbsent sets once, then refuses until the key expires', async () => {
      expect(await store.setIfAbsent('once', 'x', shortTtl)).toBe(true);
      expect(await store.setIfAbsent('once', 'y', shortTtl)).toBe(false);
      expect(await store.get('once')).toBe('x');
      await expire(shortTtl + 20);
      expect(await store.setIfAbsent('once', 'z', shortTtl)).toBe(true);
    });

    it('setIfAbsent lets exactly one of many concurrent callers win', async () => {
      const results = await Promise.all(
        Array.from({ length: 20 }, (_, i) => store.setIfAbsent('race', String(i), 60_000)),
      );
      expect(results.filter(Boolean)).toHaveLength(1);
    });

    it('take returns the value once, to exactly one of concurrent takers', async () => {
      await store.set('t', 'secret', 60_000);
      const results = await Promise.all(Array.from({ length: 10 }, () => store.take('t')));
      expect(results.filter((r) => r === 'secret')).toHaveLength(1);
      expect(await store.get('t')).toBeUndefined();
    });

    it('delete reports whether the key existed', async () => {
      await store.set('d', 'x', 60_000);
      expect(await store.delete('d')).toBe(true);
      expect(await store.delete('d')).toBe(false);
      expect(await store.get('d')).toBeUndefined();
    });

    it('increment counts atomically and keeps the first TTL (fixed window)', async () => {
      const first = await store.increment('c', 60_000);
      expect(first.value).toBe(1);
      expect(first.ttlMs).toBeGreaterThan(59_000);
      const all = await Promise.all(Array.from({ length: 25 }, () => store.increment('c', 60_000)));
      expect(Math.max(...all.map((c) => c.value))).toBe(26);
      expect(new Set(all.map((c) => c.value)).size).toBe(25);
      const weighted = await store.increment('c', 60_000, 4);
      expect(weighted.value).toBe(30);
    });

    it('increment starts a new window after the TTL', async () => {
      await store.increment('w', shortTtl);
      await store.increment('w', shortTtl);
      await expire(shortTtl + 20);
      expect((await store.increment('w', shortTtl)).value).toBe(1);
    });

    it('scores members and returns the top ones, highest first', async () => {
      await store.incrementMember('z', 'a', 1, 60_000);
      await store.incrementMember('z', 'b', 5, 60_000);
      expect(await store.incrementMember('z', 'a', 2, 60_000)).toBe(3);
      await store.incrementMember('z', 'c', 4, 60_000);
      expect(await store.topMembers('z', 2)).toEqual([
        { member: 'b', score: 5 },
        { member: 'c', score: 4 },
      ]);
      expect(await store.topMembers('empty', 5)).toEqual([]);
    });

    it('answers ping', async () => {
      await expect(store.ping()).resolves.toBeUndefined();
    });

    it('rejects empty keys and non-positive TTLs as programming errors', async () => {
      await expect(store.get('')).rejects.toThrow(/store key/);
      await expect(store.set('k', 'v', 0)).rejects.toThrow(/TTL/);
      await expect(store.increment('k', -1)).rejects.toThrow(/TTL/);
    });
  });
}
