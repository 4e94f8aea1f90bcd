import { redisStore } from '@shieldwall/core';
import { connectRedis, describeWithRedis, uniquePrefix, type ConnectedRedis } from '@shieldwall/test-utils';
import { verificationCodes, type CodeMessage } from '../src/index.js';

describeWithRedis('verification codes on Redis', () => {
  let redis: ConnectedRedis;
  beforeAll(async () => {
    redis = await connectRedis();
  });
  afterAll(async () => {
    await redis.close();
  });

  const binding = {
    action: 'register',
    subject: 'ip:203.0.113.5',
    recipient: { channel: 'email' as const, to: 'ann@example.com' },
  };

  function setup() {
    const sent: CodeMessage[] = [];
    const store = redisStore({ sendCommand: redis.sendCommand, prefix: uniquePrefix('captcha') });
    const codes = verificationCodes({
      store,
      hashKey: Buffer.alloc(32, 1),
      send: async (m) => void sent.push(m),
    });
    return { codes, sent };
  }

  it('lets exactly one of many concurrent right answers through', async () => {
    const { codes, sent } = setup();
    const issued = await codes.issue(binding);
    const results = await Promise.all(
      Array.from({ length: 5 }, () => codes.check(binding, issued.id, sent[0]!.code)),
    );
    expect(results.filter((r) => r.ok)).toHaveLength(1);
    expect(results.filter((r) => !r.ok).map((r) => (r.ok ? '' : r.code))).toEqual(
      Array(4).fill('verification_used'),
    );
  });

  it('counts concurrent wrong answers atomically: at most 5 attempts', async () => {
    const { codes, sent } = setup();
    const issued = await codes.issue(binding);
    const wrong = String((Number(sent[0]!.code) + 1) % 1_000_000).padStart(6, '0');
    const results = await Promise.all(
      Array.from({ length: 12 }, () => codes.check(binding, issued.id, wrong)),
    );
    const remaining = results
      .map((r) => (r.ok ? -1 : (r.attemptsRemaining ?? 0)))
      .filter((n) => n > 0)
      .sort();
    expect(remaining).toEqual([1, 2, 3, 4]);
    expect((await codes.check(binding, issued.id, sent[0]!.code)).ok).toBe(false);
  });
});
