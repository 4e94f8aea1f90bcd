import { randomInt } from 'node:crypto';
import { manualClock } from '@shieldwall/core';
import { describeWithRedis } from '../helpers/redis.js';
import { startRedisCluster, type RedisCluster } from '../helpers/redis-cluster.js';
import { loadConfig } from '@shieldwall/reference-app';
import { startTestApp, type TestApp } from '../helpers/reference-app.js';
import { cookieHeader, fastHashing, setCookies, signUp } from './auth-helpers.js';

// The reference app on a real three-master Redis Cluster (REDIS_URL naming its seed nodes): refresh rotation,
// shared rate limits, and a master killed mid-traffic.
describeWithRedis('reference app on Redis Cluster (REDIS_URL with several seed nodes)', () => {
  let cluster: RedisCluster;
  let a: TestApp;
  let b: TestApp;
  const clock = manualClock(Date.now());
  const ip = `10.${randomInt(256)}.${randomInt(256)}.${randomInt(1, 255)}`;

  beforeAll(async () => {
    cluster = await startRedisCluster();
    const env = {
      ...fastHashing,
      TRUST_PROXY: 'loopback',
      REDIS_URL: cluster.nodes.map((node) => node.url).join(','),
    };
    a = await startTestApp(env, { clock });
    b = await startTestApp(env);
  }, 60_000);
  afterAll(async () => {
    await a?.close();
    await b?.close();
    await cluster?.stop();
  });

  it('rotates refresh tokens in the cluster, and a replayed one revokes the family', async () => {
    const login = await signUp(a, `cluster-${randomInt(1e9)}@example.test`);
    const first = setCookies(login);
    const rotated = await a.request.post('/api/auth/refresh').set('Cookie', cookieHeader(first)).expect(204);
    const second = setCookies(rotated);
    expect(second.rt).toBeTruthy();
    expect(second.rt).not.toBe(first.rt);
    clock.advance(30_000);
    const replay = await a.request.post('/api/auth/refresh').set('Cookie', `rt=${first.rt}`).expect(401);
    expect(replay.body.error.code).toBe('refresh_reused');
    const revoked = await a.request.post('/api/auth/refresh').set('Cookie', `rt=${second.rt}`).expect(401);
    expect(revoked.body.error.code).toBe('session_revoked');
  });

  it('two instances count one rate-limit budget in the cluster', async () => {
    const email = `nobody-${randomInt(1e9)}@example.test`;
    const attempt = (app: TestApp) =>
      app.request
        .post('/api/auth/login')
        .set('X-Forwarded-For', ip)
        .send({ email, password: 'wrong password here' });
    const one = await attempt(a).expect(401);
    const two = await attempt(b).expect(401);
    expect(Number(two.headers['x-ratelimit-remaining'])).toBe(
      Number(one.headers['x-ratelimit-remaining']) - 1,
    );
  });

  it('a killed master: every answer during the failover is documented (never a 500), and all works after it', async () => {
    const victim = (await cluster.masters())[0]!;
    await cluster.kill(victim);
    const statuses = new Map<number, number>();
    const codes = new Set<string>();
    const deadline = Date.now() + 4_000;
    while (Date.now() < deadline) {
      const started = Date.now();
      const res = await a.request
        .post('/api/auth/login')
        .set('X-Forwarded-For', `10.9.${randomInt(256)}.${randomInt(1, 255)}`)
        .send({ email: `nobody-${randomInt(1e9)}@example.test`, password: 'wrong password here' });
      // Bounded by the store's timeout (1 s) and the limiter's (500 ms), never a hang.
      expect(Date.now() - started).toBeLessThan(5_000);
      statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
      if (res.status >= 400) codes.add(String(res.body?.error?.code));
    }
    expect([...statuses.keys()].filter((status) => status >= 500 && status !== 503)).toEqual([]);
    for (const code of codes)
      expect(['invalid_credentials', 'store_unavailable', 'rate_limited']).toContain(code);

    await cluster.waitUntilHealthy(20_000);
    let login: Awaited<ReturnType<typeof signUp>> | undefined;
    for (let attempt = 0; attempt < 30 && !login; attempt++) {
      login = await signUp(a, `after-${randomInt(1e9)}@example.test`).catch(() => undefined);
      if (!login) await new Promise((resolve) => setTimeout(resolve, 200));
    }
    expect(login).toBeDefined();
    await a.request
      .post('/api/auth/refresh')
      .set('Cookie', cookieHeader(setCookies(login!)))
      .expect(204);
    await cluster.restart(victim);
  }, 60_000);
});

describe('REDIS_URL and REDIS_CLUSTER', () => {
  const load = (env: Record<string, string>) =>
    loadConfig({ NODE_ENV: 'test', ...env }, { persistDevSecrets: false });
  it('one URL is one server; several, or REDIS_CLUSTER=1, a cluster', () => {
    expect(load({ REDIS_URL: 'redis://127.0.0.1:6379' }).redis).toEqual({
      urls: ['redis://127.0.0.1:6379'],
      cluster: false,
    });
    expect(load({ REDIS_URL: 'redis://a:7000, redis://b:7001' }).redis).toEqual({
      urls: ['redis://a:7000', 'redis://b:7001'],
      cluster: true,
    });
    expect(load({ REDIS_URL: 'rediss://a:7000', REDIS_CLUSTER: '1' }).redis?.cluster).toBe(true);
  });
  it('refuses what is not a redis:// URL, a bad switch, and a cluster with no seed', () => {
    expect(() => load({ REDIS_URL: 'http://127.0.0.1:6379' })).toThrow(/REDIS_URL must be redis:\/\//);
    expect(() => load({ REDIS_URL: 'redis://a:1', REDIS_CLUSTER: 'yes' })).toThrow(
      /REDIS_CLUSTER must be 1 or 0/,
    );
    expect(() => load({ REDIS_CLUSTER: '1' })).toThrow(/REDIS_CLUSTER=1 needs REDIS_URL/);
  });
});
