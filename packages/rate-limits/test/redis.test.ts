import { connectRedis, describeWithRedis, uniquePrefix, type ConnectedRedis } from '@shieldwall/test-utils';
import { manualClock, type ChallengeProvider } from '@shieldwall/core';
import request from 'supertest';
import { rateLimit, type RateLimitHandler, type RateLimitOptions } from '../src/index.js';
import { probeApp } from './probe-app.js';

describeWithRedis('rateLimit with the Redis store (rate-limit-redis)', () => {
  let redis: ConnectedRedis;
  let prefix: string;
  const open: RateLimitHandler[] = [];
  const limiter = (options: Omit<RateLimitOptions, 'sendCommand' | 'prefix'>): RateLimitHandler => {
    const l = rateLimit({ ...options, sendCommand: redis.sendCommand, prefix });
    open.push(l);
    return l;
  };

  beforeAll(async () => {
    redis = await connectRedis();
  });
  beforeEach(() => {
    prefix = uniquePrefix('rl');
  });
  afterEach(async () => {
    for (const l of open.splice(0)) await l.close();
    const keys = await redis.client.keys(`${prefix}*`);
    if (keys.length > 0) await redis.client.del(keys);
  });
  afterAll(async () => {
    await redis.close();
  });

  it('shares one budget between two app instances', async () => {
    const a = probeApp(limiter({ name: 'login', limit: 3 }));
    const b = probeApp(limiter({ name: 'login', limit: 3 }));
    await request(a).post('/probe').expect(200);
    const second = await request(b).post('/probe').expect(200);
    expect(second.headers['x-ratelimit-remaining']).toBe('1');
    await request(a).post('/probe').expect(200);
    const refused = await request(b).post('/probe').expect(429);
    expect(refused.body.error.code).toBe('rate_limited');
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(800);
    expect(refused.body.error.retryAfter).toBe(Number(refused.headers['retry-after']));
  });

  it('keys are prefixed, hash-tagged per limiter, and expire with the window', async () => {
    const app = probeApp(limiter({ name: 'login', limit: 3, windowMs: 90_000 }));
    await request(app).post('/probe').expect(200);
    const keys = await redis.client.keys(`${prefix}*`);
    expect(keys).toEqual([`${prefix}{login}:127.0.0.1`]);
    const ttl = await redis.client.pTTL(keys[0]!);
    expect(ttl).toBeGreaterThan(85_000);
    expect(ttl).toBeLessThanOrEqual(90_000);
    expect(await redis.client.get(keys[0]!)).toBe('1');
  });

  it('counts atomically under concurrent requests', async () => {
    const app = probeApp(limiter({ name: 'api', limit: 20 }));
    const results = await Promise.all(Array.from({ length: 30 }, () => request(app).get('/probe')));
    expect(results.filter((r) => r.status === 200)).toHaveLength(20);
    expect(results.filter((r) => r.status === 429)).toHaveLength(10);
    expect(await redis.client.get(`${prefix}{api}:127.0.0.1`)).toBe('30');
  });

  it('counts weighted requests atomically in Redis with the same window', async () => {
    const app = probeApp(
      limiter({ name: 'api', limit: 10, cost: (req) => Number(req.headers['x-cost'] ?? 1) }),
    );
    await request(app).get('/probe').set('x-cost', '4').expect(200);
    const res = await request(app).get('/probe').set('x-cost', '3').expect(200);
    expect(res.headers['x-ratelimit-remaining']).toBe('3');
    await request(app).get('/probe').expect(200);
    await request(app).get('/probe').set('x-cost', '3').expect(429);
    expect(await redis.client.get(`${prefix}{api}:127.0.0.1`)).toBe('11');
    expect(await redis.client.pTTL(`${prefix}{api}:127.0.0.1`)).toBeGreaterThan(50_000);
  });

  it('a passed challenge lets that one request through and keeps the Redis counter (no refill)', async () => {
    const provider: ChallengeProvider = {
      issue: async () => ({ id: 'c1', channel: 'email', expiresAt: 1 }),
      verify: async (_c, a) => (a.answer === 'right' ? 'passed' : 'failed'),
    };
    const app = probeApp(limiter({ name: 'register', limit: 1, challenge: provider, clock: manualClock() }));
    await request(app).post('/probe').expect(200);
    await request(app).post('/probe').expect(403);
    await request(app)
      .post('/probe')
      .set('x-verification-id', 'c1')
      .set('x-verification-code', 'wrong')
      .expect(403);
    expect(await redis.client.get(`${prefix}{register}:127.0.0.1`)).toBe('3');
    await request(app)
      .post('/probe')
      .set('x-verification-id', 'c1')
      .set('x-verification-code', 'right')
      .expect(200);
    // The budget is not reset: the counter lives on, and the next request is challenged again.
    expect(await redis.client.get(`${prefix}{register}:127.0.0.1`)).toBe('4');
    await request(app).post('/probe').expect(403);
  });
});
