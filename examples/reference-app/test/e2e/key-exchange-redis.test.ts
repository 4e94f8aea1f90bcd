import { randomBytes } from 'node:crypto';
import { redisStore } from '@shieldwall/core';
import { createKeyExchangeClient } from '@shieldwall/key-exchange/client';
import { listen, type RunningServer } from '../helpers/http.js';
import { connectRedis, describeWithRedis, uniquePrefix, type ConnectedRedis } from '../helpers/redis.js';
import { startTestApp, type TestApp } from '../helpers/reference-app.js';

// Two reference-app instances sharing one Redis (as REDIS_URL deploys them), each with its own key prefix per run.
describeWithRedis('reference app: two instances on one Redis', () => {
  let redis: ConnectedRedis;
  let prefix: string;
  const apps: Array<{ t: TestApp; server: RunningServer }> = [];
  beforeAll(async () => {
    redis = await connectRedis();
    prefix = uniquePrefix('kx-e2e');
    const env = {
      WALLET_KEKS: `k1:${randomBytes(32).toString('base64')}`,
      JWT_SECRETS: `j1:${randomBytes(32).toString('base64')}`,
      BCRYPT_COST: '4',
    };
    for (let i = 0; i < 2; i++) {
      const t = await startTestApp(env, { store: redisStore({ sendCommand: redis.sendCommand, prefix }) });
      apps.push({ t, server: await listen(t.app) });
    }
  });
  afterAll(async () => {
    for (const { t, server } of apps) {
      await server.close();
      await t.close();
    }
    // Web keys live 30 days: remove this run's keys instead of leaving them to expire.
    const left = await redis.client.keys(`${prefix}*`);
    if (left.length > 0) await redis.client.del(left);
    await redis.close();
  });

  async function page(url: string): Promise<{ token: string; cookie: string }> {
    const response = await fetch(`${url}/`);
    const token = /<meta name="csrf-token" content="([^"]+)">/.exec(await response.text())![1]!;
    return { token, cookie: response.headers.getSetCookie()[0]!.split(';')[0]! };
  }

  it('rotates the ring once, publishes one key from both, and uses a channel made on A on B', async () => {
    const [a, b] = [apps[0]!.server.url, apps[1]!.server.url];
    const p = await page(a);
    const keys = await Promise.all(
      [a, b, a, b].map(async (url) => {
        const response = await fetch(`${url}/api/security/public-key`, {
          headers: { 'x-csrf-token': p.token, cookie: p.cookie },
        });
        expect(response.status).toBe(200);
        return ((await response.json()) as { kid: string }).kid;
      }),
    );
    expect(new Set(keys).size).toBe(1);
    const index = JSON.parse((await redis.client.get(`${prefix}kx:ring:index`))!) as unknown[];
    expect(index).toHaveLength(1);

    const client = createKeyExchangeClient({
      baseUrl: a,
      csrfToken: p.token,
      cookies: p.cookie,
      fetch: (input, init) =>
        fetch((input as string).replace(`${a}/api/security/echo`, `${b}/api/security/echo`), init),
    });
    await client.establish();
    const response = await client.fetch('/api/security/echo', { method: 'POST', body: { across: true } });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ echo: { across: true }, method: 'POST' });
  });
});
