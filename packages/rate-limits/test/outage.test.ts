import { manualClock, type Logger, type ManualClock } from '@shieldwall/core';
import { connectRedis, startSpareRedis, type ConnectedRedis, type SpareRedis } from '@shieldwall/test-utils';
import request from 'supertest';
import { rateLimit, type OutagePolicy, type RateLimitHandler } from '../src/index.js';
import { probeApp } from './probe-app.js';

type Entry = { level: 'info' | 'warn' | 'error'; message: string; fields?: Record<string, unknown> };

function memoryLogger(): Logger & { entries: Entry[] } {
  const entries: Entry[] = [];
  return {
    entries,
    info: (message, fields) => entries.push({ level: 'info', message, fields }),
    warn: (message, fields) => entries.push({ level: 'warn', message, fields }),
    error: (message, fields) => entries.push({ level: 'error', message, fields }),
  };
}

async function until(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !condition(); i += 1) await new Promise((r) => setTimeout(r, 25));
  if (!condition()) throw new Error('condition not met');
}

// These tests start their own redis-server on a spare port, kill it and start it again.
describe('store outages against a real redis-server that is killed', () => {
  let spare: SpareRedis;
  let redis: ConnectedRedis;
  let clock: ManualClock;
  let logger: ReturnType<typeof memoryLogger>;
  const open: RateLimitHandler[] = [];

  const app = (policy: OutagePolicy | undefined, limit = 2) => {
    const l = rateLimit({
      name: 'login',
      limit,
      sendCommand: redis.sendCommand,
      storeTimeoutMs: 200,
      retryStoreAfterMs: 5000,
      clock,
      logger,
      ...(policy ? { onStoreError: policy } : {}),
    });
    open.push(l);
    return probeApp(l);
  };

  beforeAll(async () => {
    spare = await startSpareRedis();
  });
  beforeEach(async () => {
    if (!redis?.client.isReady) {
      await spare.restart();
      redis = await connectRedis(spare.url);
    }
    await redis.client.flushAll();
    clock = manualClock();
    logger = memoryLogger();
  });
  afterEach(async () => {
    for (const l of open.splice(0)) await l.close();
  });
  afterAll(async () => {
    await redis.close().catch(() => undefined);
    await spare.kill();
  });

  it('fallback-memory (the default) limits from memory while Redis is down, and returns to Redis', async () => {
    const a = app(undefined);
    await request(a).post('/probe').expect(200);
    await spare.kill();
    const degraded = await request(a).post('/probe').timeout(5000).expect(200);
    expect(degraded.headers['x-ratelimit-remaining']).toBe('1');
    await request(a).post('/probe').expect(200);
    const refused = await request(a).post('/probe').expect(429);
    expect(refused.body.error.code).toBe('rate_limited');
    expect(logger.entries.filter((e) => e.level === 'warn')).toEqual([
      {
        level: 'warn',
        message: 'rate limit store unavailable',
        fields: {
          limiter: 'login',
          policy: 'fallback-memory',
          error: expect.stringMatching(/did not answer/),
        },
      },
    ]);

    await spare.restart();
    await until(() => redis.client.isReady);
    // Still inside the back-off: memory answers, Redis is not asked.
    await request(a).post('/probe').expect(429);
    expect(await redis.client.keys('*')).toEqual([]);
    clock.advance(5000);
    const back = await request(a).post('/probe').expect(200);
    expect(back.headers['x-ratelimit-remaining']).toBe('1');
    expect(await redis.client.get('sw:rl:{login}:127.0.0.1')).toBe('1');
    expect(logger.entries.at(-1)).toEqual({
      level: 'info',
      message: 'rate limit store answers again',
      fields: { limiter: 'login' },
    });
  });

  it('fail-open lets requests through unlimited, and logs the outage and how many passed', async () => {
    const a = app('fail-open', 1);
    await request(a).post('/probe').expect(200);
    await request(a).post('/probe').expect(429);
    await spare.kill();
    for (let i = 0; i < 3; i += 1) {
      const res = await request(a).post('/probe').timeout(5000).expect(200);
      expect(res.headers['x-ratelimit-remaining']).toBeUndefined();
    }
    expect(logger.entries).toEqual([
      {
        level: 'warn',
        message: 'rate limit store unavailable',
        fields: { limiter: 'login', policy: 'fail-open', error: expect.any(String) },
      },
    ]);
    await spare.restart();
    await until(() => redis.client.isReady);
    clock.advance(5000);
    await request(a).post('/probe').expect(200);
    await request(a).post('/probe').expect(429);
    expect(logger.entries.at(-1)).toEqual({
      level: 'info',
      message: 'rate limit store answers again',
      fields: { limiter: 'login', allowedUnlimited: 3 },
    });
  });

  it('fail-closed answers 503 store_unavailable with Retry-After while Redis is down', async () => {
    const a = app('fail-closed');
    await request(a).post('/probe').expect(200);
    await spare.kill();
    const res = await request(a).post('/probe').timeout(5000).expect(503);
    expect(res.body).toEqual({
      error: { code: 'store_unavailable', message: 'Rate limiting is unavailable; try again shortly.' },
    });
    expect(res.headers['retry-after']).toBe('5');
    clock.advance(3000);
    const again = await request(a).post('/probe').expect(503);
    expect(again.headers['retry-after']).toBe('2');
    await spare.restart();
    await until(() => redis.client.isReady);
    clock.advance(2000);
    await request(a).post('/probe').expect(200);
  });

  it('a command that never answers is cut off by the timeout, and only one request at a time asks again', async () => {
    const sent: string[][] = [];
    const l = rateLimit({
      name: 'api',
      limit: 3,
      sendCommand: (args) => {
        sent.push(args);
        return new Promise(() => undefined);
      },
      storeTimeoutMs: 50,
      clock,
      logger,
    });
    open.push(l);
    const a = probeApp(l);
    await request(a).get('/probe').timeout(5000).expect(200);
    expect(sent).toHaveLength(1);
    await request(a).get('/probe').expect(200);
    expect(sent).toHaveLength(1); // inside the back-off: Redis is not asked
    expect(logger.entries[0]?.fields?.error).toBe('StoreUnavailableError: Redis did not answer within 50 ms');
    clock.advance(5000);
    const results = await Promise.all([1, 2, 3].map(() => request(a).get('/probe').timeout(5000)));
    expect(results.map((r) => r.status).sort()).toEqual([200, 429, 429]);
    expect(sent).toHaveLength(2); // one probe, the others answered from memory
  });

  it('reloads scripts that SCRIPT FLUSH or a restart removed (NOSCRIPT)', async () => {
    const sent: string[][] = [];
    const l = rateLimit({
      name: 'login',
      limit: 5,
      sendCommand: (args) => {
        sent.push(args);
        return redis.sendCommand(args);
      },
      clock,
      logger,
    });
    open.push(l);
    const a = probeApp(l);
    const exists = async (sha: string): Promise<unknown> => {
      const reply: unknown = await redis.client.sendCommand(['SCRIPT', 'EXISTS', sha]);
      return Array.isArray(reply) ? reply[0] : reply;
    };

    await request(a).post('/probe').expect(200);
    const sha = sent.find((args) => args[0] === 'EVALSHA')![1]!;
    expect(await exists(sha)).toBe(1);
    await redis.client.sendCommand(['SCRIPT', 'FLUSH']);
    expect(await exists(sha)).toBe(0);
    sent.length = 0;
    const res = await request(a).post('/probe').expect(200);
    expect(res.headers['x-ratelimit-remaining']).toBe('3');
    expect(sent.map((args) => args[0])).toEqual(['EVALSHA', 'EVAL']);
    expect(await exists(sha)).toBe(1);
    expect(await redis.client.get('sw:rl:{login}:127.0.0.1')).toBe('2');

    await spare.restart();
    await until(() => redis.client.isReady);
    const fresh = await request(a).post('/probe').expect(200);
    expect(fresh.headers['x-ratelimit-remaining']).toBe('4');
    expect(await exists(sha)).toBe(1);
    expect(logger.entries).toEqual([]);
  });
});
