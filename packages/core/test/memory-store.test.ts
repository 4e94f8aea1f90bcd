import { manualClock, memoryStore, ShieldwallConfigError } from '../src/index.js';
import { shardSizes } from '../src/store/memory-store.js';
import { maxShardKeys, shardCount, Shards } from '../src/store/shards.js';
import { storeContract } from './store-contract.js';

storeContract(
  'memory',
  async () => {
    const clock = manualClock();
    const store = memoryStore({ clock });
    return {
      store,
      expire: async (ms) => {
        clock.advance(ms);
      },
      teardown: () => store.close(),
    };
  },
  1_000,
);

describe('memoryStore bounds', () => {
  it('evicts the least recently written plain key past maxEntries', async () => {
    const store = memoryStore({ maxEntries: 3 });
    await store.set('a', '1', 60_000);
    await store.set('b', '2', 60_000);
    await store.set('c', '3', 60_000);
    await store.set('a', '1b', 60_000); // rewritten: now the newest
    await store.set('d', '4', 60_000);
    expect(await store.get('b')).toBeUndefined();
    expect(await store.get('a')).toBe('1b');
    expect(await store.get('c')).toBe('3');
    expect(await store.get('d')).toBe('4');
    await store.close();
  });

  it('never evicts a live single-use claim: a flood of other keys cannot reopen it', async () => {
    const clock = manualClock();
    const store = memoryStore({ clock, maxEntries: 3 });
    expect(await store.setIfAbsent('jti:a', '1', 60_000)).toBe(true);
    for (let i = 0; i < 10; i += 1) await store.set(`flood:${i}`, 'x', 60_000);
    expect(await store.setIfAbsent('jti:a', '1', 60_000)).toBe(false);
    expect(await store.get('jti:a')).toBe('1');
    await store.close();
  });

  it('refuses a new claim while every claim slot holds a live one, and takes the slot once the oldest expires', async () => {
    const clock = manualClock();
    const store = memoryStore({ clock, maxEntries: 2 });
    expect(await store.setIfAbsent('c1', '1', 1_000)).toBe(true);
    clock.advance(10);
    expect(await store.setIfAbsent('c2', '1', 1_000)).toBe(true);
    // Full of live claims: refused (as if taken) rather than evicting c1, which would let c1 be claimed again.
    expect(await store.setIfAbsent('c3', '1', 1_000)).toBe(false);
    expect(await store.get('c3')).toBeUndefined();
    expect(await store.setIfAbsent('c1', '1', 1_000)).toBe(false);
    // Plain keys have their own slots and still evict each other.
    await store.set('v1', 'x', 60_000);
    await store.set('v2', 'x', 60_000);
    await store.set('v3', 'x', 60_000);
    expect(await store.get('v1')).toBeUndefined();
    expect(await store.get('c2')).toBe('1');
    clock.advance(995); // c1 has expired, c2 has not
    expect(await store.setIfAbsent('c3', '1', 1_000)).toBe(true);
    expect(await store.setIfAbsent('c4', '1', 1_000)).toBe(false);
    expect(await store.get('c2')).toBe('1');
    await store.close();
  });

  it('finds expired claims behind a long-lived oldest one', async () => {
    const clock = manualClock();
    const store = memoryStore({ clock, maxEntries: 3 });
    expect(await store.setIfAbsent('long', '1', 3_600_000)).toBe(true);
    expect(await store.setIfAbsent('short1', '1', 1_000)).toBe(true);
    expect(await store.setIfAbsent('short2', '1', 1_000)).toBe(true);
    expect(await store.setIfAbsent('new', '1', 1_000)).toBe(false);
    clock.advance(1_000);
    expect(await store.setIfAbsent('new', '1', 1_000)).toBe(true);
    expect(await store.setIfAbsent('long', '1', 1_000)).toBe(false);
    await store.close();
  });

  it('moves a claimed key that is later set among the plain keys, and forgets it everywhere on delete', async () => {
    const store = memoryStore({ maxEntries: 2 });
    expect(await store.setIfAbsent('k', 'claimed', 60_000)).toBe(true);
    await store.set('k', 'plain', 60_000);
    expect(await store.get('k')).toBe('plain');
    expect(await store.delete('k')).toBe(true);
    expect(await store.get('k')).toBeUndefined();
    expect(await store.setIfAbsent('k', 'again', 60_000)).toBe(true);
    expect(await store.take('k')).toBe('again');
    expect(await store.get('k')).toBeUndefined();
    await store.close();
  });

  it('keeps only the highest-scored members of a scored set', async () => {
    const store = memoryStore({ maxMembersPerKey: 2 });
    await store.incrementMember('z', 'low', 1, 60_000);
    await store.incrementMember('z', 'high', 9, 60_000);
    await store.incrementMember('z', 'new', 5, 60_000);
    expect((await store.topMembers('z', 10)).map((m) => m.member)).toEqual(['high', 'new']);
    await store.close();
  });

  it('sweeps expired keys on its timer, which does not hold the process open', async () => {
    jest.useFakeTimers();
    try {
      const clock = manualClock();
      const store = memoryStore({ clock, sweepIntervalMs: 1000, maxEntries: 2 });
      await store.set('keep', 'x', 60_000);
      await store.set('old', 'x', 10);
      clock.advance(50);
      jest.advanceTimersByTime(1000);
      // Swept, the expired key no longer fills a slot, so a fresh key fits beside 'keep'. Unswept, the store
      // would be full and evict its least recently written key, which is 'keep', still live.
      await store.set('n1', 'x', 60_000);
      expect(await store.get('keep')).toBe('x');
      expect(await store.get('n1')).toBe('x');
      await store.close();
    } finally {
      jest.useRealTimers();
    }
  });

  it('spreads a large store over shards that each stay at or under maxShardKeys, so no Map rehash is long', async () => {
    const clock = manualClock();
    // The default maxEntries (100,000) gets 32 shards of at most 6,250 keys; 40,000 keeps the test quick.
    expect(shardCount(100_000)).toBe(32);
    expect(new Shards(100_000, 32).shardCap).toBeLessThanOrEqual(maxShardKeys);
    const maxEntries = 40_000;
    const store = memoryStore({ clock, maxEntries });
    const sizes = () =>
      (store as unknown as Record<typeof shardSizes, () => { entries: number[]; claims: number[] }>)[
        shardSizes
      ]();
    // incrementNow writes the same way as set, without a promise per key (this test writes 60,000).
    for (let i = 0; i < maxEntries + 20_000; i += 1)
      store.incrementNow(`rl:api:10.${i >> 16}.${i & 65535}`, 60_000);
    let claimed = 0;
    for (let batch = 0; batch < maxEntries + 5_000; batch += 5_000) {
      const ids = Array.from({ length: 5_000 }, (_, i) => `jti:${batch + i}`);
      const won = await Promise.all(ids.map((id) => store.setIfAbsent(id, '1', 60_000)));
      claimed += won.filter(Boolean).length;
    }
    const { entries, claims } = sizes();
    expect(entries.length).toBeGreaterThan(1);
    expect(entries.reduce((a, b) => a + b)).toBe(maxEntries);
    expect(claims.reduce((a, b) => a + b)).toBe(claimed);
    expect(claimed).toBeLessThanOrEqual(maxEntries);
    expect(claimed).toBeGreaterThan(maxEntries * 0.95);
    for (const size of [...entries, ...claims]) expect(size).toBeLessThanOrEqual(maxShardKeys);
    // The newest keys are all there; the oldest were evicted.
    const newest = maxEntries + 19_999;
    expect(await store.get(`rl:api:10.${newest >> 16}.${newest & 65535}`)).toBe('1');
    expect(await store.get('rl:api:10.0.0')).toBeUndefined();
    await store.close();
  });

  it('validates its options at start-up', () => {
    expect(() => memoryStore({ maxEntries: 0 })).toThrow(ShieldwallConfigError);
    expect(() => memoryStore({ maxEntries: 1.5 })).toThrow(/maxEntries.*positive whole number/);
  });
});
