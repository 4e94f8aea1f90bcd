import { createHash } from 'node:crypto';
import { manualClock, memoryStore, redisStore, type Store } from '@shieldwall/core';
import {
  connectRedis,
  describeWithRedis,
  recordingStore,
  uniquePrefix,
  type ConnectedRedis,
} from '@shieldwall/test-utils';
import { resetTokens, type ResetDelivery } from '../src/index.js';

describe('resetTokens', () => {
  const clock = manualClock();
  let store: Store & { close(): Promise<void> };
  let sent: ResetDelivery[];
  const make = (ttlSeconds?: number) =>
    resetTokens({
      store,
      clock,
      ...(ttlSeconds ? { ttlSeconds } : {}),
      send: async (delivery) => {
        sent.push(delivery);
      },
    });
  beforeEach(() => {
    store = memoryStore({ clock });
    sent = [];
  });
  afterEach(() => store.close());

  it('sends 32 random bytes and keeps only their SHA-256 hash', async () => {
    await make().issue({ id: 'u1', email: 'a@example.com' });
    expect(sent).toHaveLength(1);
    const { token, expiresAt, email, userId } = sent[0]!;
    expect(Buffer.from(token, 'base64url')).toHaveLength(32);
    expect({ email, userId, expiresAt }).toEqual({
      email: 'a@example.com',
      userId: 'u1',
      expiresAt: clock.now() + 30 * 60_000,
    });
    const hash = createHash('sha256').update(token).digest('hex');
    const stored = await store.get(`reset:${hash}`);
    expect(stored).toBeDefined();
    expect(stored).not.toContain(token);
    expect(await store.get(`reset:${token}`)).toBeUndefined();
  });

  it('works once', async () => {
    const resets = make();
    await resets.issue({ id: 'u1', email: 'a@example.com' });
    const { token } = sent[0]!;
    await expect(resets.consume(token)).resolves.toBe('u1');
    await expect(resets.consume(token)).resolves.toBeUndefined();
  });

  it('gives the user id to exactly one of two concurrent uses', async () => {
    const resets = make();
    await resets.issue({ id: 'u1', email: 'a@example.com' });
    const results = await Promise.all([resets.consume(sent[0]!.token), resets.consume(sent[0]!.token)]);
    expect(results.filter((r) => r === 'u1')).toHaveLength(1);
  });

  it('expires after its TTL', async () => {
    const resets = make(60);
    await resets.issue({ id: 'u1', email: 'a@example.com' });
    clock.advance(60_001);
    await expect(resets.consume(sent[0]!.token)).resolves.toBeUndefined();
  });

  it('refuses malformed tokens without touching the store', async () => {
    const recorded = recordingStore(store);
    const resets = resetTokens({ store: recorded, clock, send: async (d) => void sent.push(d) });
    for (const bad of [undefined, 42, '', 'a'.repeat(42), 'a'.repeat(44), '!'.repeat(43)])
      await expect(resets.consume(bad)).resolves.toBeUndefined();
    expect(recorded.calls).toEqual([]);
    // the control: a well-formed token is looked up (and, unknown, changes nothing)
    await expect(resets.consume('a'.repeat(43))).resolves.toBeUndefined();
    expect(recorded.calls.map((c) => c.op)).toEqual(['take']);
    expect(recorded.changes).toEqual([]);
  });

  it('validates its options', () => {
    expect(() => resetTokens({ store: undefined as never, send: async () => {} })).toThrow(/store/);
    expect(() => resetTokens({ store, send: undefined as never })).toThrow(/send/);
    expect(() => resetTokens({ store, send: async () => {}, ttlSeconds: -1 })).toThrow(/ttlSeconds/);
  });
});

describeWithRedis('resetTokens on Redis', () => {
  let redis: ConnectedRedis;
  beforeAll(async () => {
    redis = await connectRedis();
  });
  afterAll(() => redis.close());

  it('gives the user id to exactly one of many concurrent uses, across instances', async () => {
    const store = redisStore({ sendCommand: redis.sendCommand, prefix: uniquePrefix('pw') });
    const sent: ResetDelivery[] = [];
    const make = () =>
      resetTokens({
        store,
        send: async (delivery) => {
          sent.push(delivery);
        },
      });
    const [one, two] = [make(), make()];
    await one.issue({ id: 'u1', email: 'a@example.com' });
    const token = sent[0]!.token;
    const results = await Promise.all([one, two, one, two, one, two].map((r) => r.consume(token)));
    expect(results.filter((r) => r === 'u1')).toHaveLength(1);
    await store.close();
  });
});
