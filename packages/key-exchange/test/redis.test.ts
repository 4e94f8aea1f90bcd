import { manualClock, redisStore } from '@shieldwall/core';
import { connectRedis, describeWithRedis, uniquePrefix, type ConnectedRedis } from '@shieldwall/test-utils';
import { createKeyExchangeClient } from '../src/client.js';
import { loadPage, startHarness, testSealer, type Harness } from './helpers.js';

describeWithRedis('two instances on one Redis', () => {
  let redis: ConnectedRedis;
  let prefix: string;
  let a: Harness;
  let b: Harness;
  const clock = manualClock(Date.now());
  beforeAll(async () => {
    redis = await connectRedis();
    prefix = uniquePrefix('kx');
    const sealer = testSealer();
    const csrfSecrets = [{ id: 'k1', key: new Uint8Array(32).fill(7) }];
    const shared = () => ({
      store: redisStore({ sendCommand: redis.sendCommand, prefix }),
      sealer,
      clock,
      csrfSecrets,
    });
    a = await startHarness(shared());
    b = await startHarness(shared());
  });
  afterAll(async () => {
    await a.close();
    await b.close();
    // Web keys live 30 days: remove this run's keys instead of leaving them to expire.
    const left = await redis.client.keys(`${prefix}*`);
    if (left.length > 0) await redis.client.del(left);
    await redis.close();
  });

  it('rotates the ring exactly once when both ask at the same time', async () => {
    const keys = await Promise.all([
      a.kx.keyRing.current(),
      b.kx.keyRing.current(),
      a.kx.keyRing.current(),
      b.kx.keyRing.current(),
    ]);
    expect(new Set(keys.map((k) => k.kid)).size).toBe(1);
    expect(await a.kx.keyRing.list()).toHaveLength(1);
    // Rotation is due again after 14 days: again exactly one new key.
    clock.advance(14 * 24 * 60 * 60 * 1000 + 1);
    // The instance that loses the lock serves the previous (still accepted) key until the winner is done.
    await Promise.all([a.kx.keyRing.current(), b.kx.keyRing.current()]);
    const [onA, onB] = await Promise.all([a.kx.keyRing.current(), b.kx.keyRing.current()]);
    expect(onA.kid).toBe(onB.kid);
    expect(onA.kid).not.toBe(keys[0].kid);
    expect(await b.kx.keyRing.list()).toHaveLength(2);
  });

  it('uses a channel made on one instance on the other', async () => {
    const page = await loadPage(a.url);
    // Handshake on A; every channel call goes to B.
    const client = createKeyExchangeClient({
      baseUrl: a.url,
      csrfToken: page.token,
      cookies: page.cookie,
      now: () => clock.now(),
      fetch: (input, init) =>
        fetch((input as string).replace(`${a.url}/api/echo`, `${b.url}/api/echo`), init),
    });
    await client.establish();
    const echoed = await client.fetch('/api/echo', { method: 'POST', body: { across: 'instances' } });
    expect(echoed.status).toBe(200);
    expect(await echoed.json()).toMatchObject({
      body: { across: 'instances' },
      channel: { channelId: client.channel },
    });
    // And a token rendered by A passes B's CSRF check (shared secrets and store).
    const onB = await fetch(`${b.url}/api/security/public-key`, {
      headers: { 'x-csrf-token': page.token, cookie: page.cookie },
    });
    expect(onB.status).toBe(200);
  });

  it('shares the replay cache: an envelope accepted by A is refused by B', async () => {
    const page = await loadPage(a.url);
    const { manualWebHandshake, requestEnvelope } = await import('./helpers.js');
    const { key, channel } = await manualWebHandshake(a.url, page, clock);
    const jwe = await requestEnvelope(key, channel, {}, { once: true }, clock);
    const send = (url: string) =>
      fetch(`${url}/api/echo`, {
        method: 'POST',
        headers: { 'content-type': 'application/jose', cookie: page.cookie },
        body: jwe,
      });
    expect((await send(a.url)).status).toBe(200);
    const replay = await send(b.url);
    expect(replay.status).toBe(400);
    expect(((await replay.json()) as { error: { code: string } }).error.code).toBe('invalid_envelope');
  });

  it('keeps no channel key readable in Redis, and refuses a channel a Redis writer adds', async () => {
    const page = await loadPage(a.url);
    const { manualWebHandshake, requestEnvelope, randomId } = await import('./helpers.js');
    const { key, channel } = await manualWebHandshake(a.url, page, clock);
    const raw = Buffer.from(key);
    const spellings = [raw.toString('base64url'), raw.toString('base64'), raw.toString('hex')];
    for (const name of await redis.client.keys(`${prefix}*`)) {
      if ((await redis.client.type(name)) !== 'string') continue;
      const value = (await redis.client.get(name)) ?? '';
      for (const spelling of spellings) expect([name, value.includes(spelling)]).toEqual([name, false]);
    }
    const record = JSON.parse((await redis.client.get(`${prefix}kx:ch:${channel}`))!) as Record<
      string,
      unknown
    >;
    const id = `c${randomId().slice(0, 22)}`;
    const forged = { ...record, id, k: raw.toString('base64url') };
    await redis.client.set(`${prefix}kx:ch:${id}`, JSON.stringify(forged), { PX: 60_000 });
    const response = await fetch(`${b.url}/api/echo`, {
      method: 'POST',
      headers: { 'content-type': 'application/jose', cookie: page.cookie },
      body: await requestEnvelope(key, id, {}, { forged: true }, clock),
    });
    expect(response.status).toBe(400);
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe('invalid_envelope');
  });
});
