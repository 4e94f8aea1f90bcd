import { manualClock } from '@shieldwall/core';
import { createKeyExchangeClient } from '../src/client.js';
import { createAppVersionKey, createAppVersionRegistry, type AppVersionsConfig } from '../src/index.js';
import { loadPage, startHarness, testSealer, webClient, type Harness } from './helpers.js';

describe('web handshake over HTTP with the Node client', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({});
  });
  afterAll(() => h.close());

  it('publishes the current key as a JWK with kid, alg, use and expiry', async () => {
    const page = await loadPage(h.url);
    const response = await fetch(`${h.url}/api/security/public-key`, {
      headers: { 'x-csrf-token': page.token, cookie: page.cookie },
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('no-store');
    const jwk = (await response.json()) as Record<string, unknown>;
    expect(jwk).toMatchObject({ kty: 'RSA', alg: 'RSA-OAEP-256', use: 'enc', e: 'AQAB' });
    expect(typeof jwk.kid).toBe('string');
    expect(jwk).not.toHaveProperty('d');
    expect((jwk.exp as number) - (jwk.iat as number)).toBe(30 * 24 * 3600);
    expect(Buffer.from(jwk.n as string, 'base64url').length).toBe(256);
  });

  it('gives a different token on every render, all valid for the one session', async () => {
    const first = await loadPage(h.url);
    const second = await loadPage(h.url, first.cookie);
    expect(second.cookie).toBe(first.cookie);
    expect(second.token).not.toBe(first.token);
    for (const token of [first.token, second.token]) {
      const response = await fetch(`${h.url}/api/security/public-key`, {
        headers: { 'x-csrf-token': token, cookie: first.cookie },
      });
      expect(response.status).toBe(200);
    }
  });

  it('establishes a channel and makes encrypted POST and GET calls', async () => {
    const page = await loadPage(h.url);
    const client = webClient(h.url, page);
    const proof = await createKeyExchangeClient({ baseUrl: h.url, csrfToken: page.token, cookies: false })
      .establish()
      .catch((e: unknown) => e);
    // Without the session cookie the CSRF check fails: the token is bound to the session.
    expect(proof).toMatchObject({ status: 403, code: 'csrf_invalid' });

    const posted = await client.fetch('/api/echo', { method: 'POST', body: { amount: 5, note: 'héllo' } });
    expect(posted.status).toBe(200);
    const body = (await posted.json()) as { method: string; body: unknown; channel: { channelId: string } };
    expect(body).toMatchObject({ method: 'POST', body: { amount: 5, note: 'héllo' } });
    expect(body.channel.channelId).toBe(client.channel);

    const got = await client.fetch('/api/echo');
    expect(got.status).toBe(200);
    expect(await got.json()).toMatchObject({ method: 'GET', body: null });
  });

  it('sends the response encrypted on the wire', async () => {
    const page = await loadPage(h.url);
    const seen: string[] = [];
    const client = webClient(h.url, page, {
      fetch: async (input, init) => {
        const response = await fetch(input, init);
        seen.push(`${response.headers.get('content-type')} ${await response.clone().text()}`);
        return response;
      },
    });
    await client.fetch('/api/echo', { method: 'PUT', body: { secret: 'not-on-the-wire' } });
    const last = seen.at(-1)!;
    expect(last.startsWith('application/jose ')).toBe(true);
    expect(last).not.toContain('not-on-the-wire');
    expect(last.split(' ')[1]!.split('.')).toHaveLength(5);
  });
});

describe('mobile handshake', () => {
  const sealer = testSealer();
  let h: Harness;
  let ios24: Awaited<ReturnType<typeof createAppVersionKey>>;
  let ios20: Awaited<ReturnType<typeof createAppVersionKey>>;
  beforeAll(async () => {
    ios24 = await createAppVersionKey({ platform: 'ios', version: '2.4.0', sealer });
    ios20 = await createAppVersionKey({ platform: 'ios', version: '2.0.0', sealer });
    h = await startHarness({
      sealer,
      appVersions: {
        keys: [ios24.entry, ios20.entry],
        minVersions: { ios: '2.1.0' },
        upgradeUrls: { ios: 'https://apps.example.com/shieldwall' },
      },
    });
  });
  afterAll(() => h.close());

  it('creates a key whose private half leaves only sealed', () => {
    expect(ios24.publicJwk).toMatchObject({
      kty: 'RSA',
      alg: 'RSA-OAEP-256',
      use: 'enc',
      kid: ios24.entry.kid,
    });
    expect(ios24.publicJwk).not.toHaveProperty('d');
    expect(ios24.entry.privateKey.startsWith('t1.')).toBe(true);
  });

  it('establishes without CSRF using the version key and makes an encrypted call', async () => {
    const client = createKeyExchangeClient({
      baseUrl: h.url,
      app: { platform: 'ios', version: '2.4.0', publicKey: ios24.publicJwk },
    });
    const response = await client.fetch('/api/echo', { method: 'POST', body: { hello: 'mobile' } });
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({
      body: { hello: 'mobile' },
      channel: { platform: 'ios', version: '2.4.0' },
    });
  });

  it('answers a retired version with 426 upgrade_required and the version to move to', async () => {
    const client = createKeyExchangeClient({
      baseUrl: h.url,
      app: { platform: 'ios', version: '2.0.0', publicKey: ios20.publicJwk },
    });
    await expect(client.establish()).rejects.toMatchObject({ status: 426, code: 'upgrade_required' });
    const raw = await fetch(`${h.url}/api/security/session-key`, {
      method: 'POST',
      headers: { 'content-type': 'application/jose', 'x-app-platform': 'ios', 'x-app-version': '2.0.0' },
      body: 'x.y.z.w.v',
    });
    expect(raw.status).toBe(426);
    expect(await raw.json()).toEqual({
      error: {
        code: 'upgrade_required',
        message: expect.any(String) as string,
        minVersion: '2.4.0',
        upgradeUrl: 'https://apps.example.com/shieldwall',
      },
    });
  });

  it('refuses an unknown version with 400 unknown_app_version', async () => {
    const client = createKeyExchangeClient({
      baseUrl: h.url,
      app: { platform: 'android', version: '2.4.0', publicKey: ios24.publicJwk },
    });
    await expect(client.establish()).rejects.toMatchObject({ status: 400, code: 'unknown_app_version' });
  });

  it('refuses a version key used under another version', async () => {
    const client = createKeyExchangeClient({
      baseUrl: h.url,
      app: { platform: 'ios', version: '2.4.0', publicKey: ios20.publicJwk },
    });
    await expect(client.establish()).rejects.toMatchObject({ status: 400, code: 'invalid_envelope' });
  });
});

describe('client re-establishes once on an expired channel', () => {
  it('opens a new channel and retries the call', async () => {
    const clock = manualClock(Date.now());
    const h = await startHarness({ clock, channelTtlMs: 60 * 60 * 1000 });
    try {
      const page = await loadPage(h.url);
      const client = webClient(h.url, page, { now: () => clock.now() });
      await client.establish();
      const first = client.channel;
      clock.advance(2 * 60 * 60 * 1000);
      const response = await client.fetch('/api/echo', { method: 'POST', body: { again: true } });
      expect(response.status).toBe(200);
      expect(client.channel).not.toBe(first);
    } finally {
      await h.close();
    }
  });
});

describe('a mobile version retired after its channel opened', () => {
  it('answers the channel with 426 upgrade_required once the minimum moves past it', async () => {
    const { memoryStore } = await import('@shieldwall/core');
    const sealer = testSealer();
    const store = memoryStore();
    const v1 = await createAppVersionKey({ platform: 'android', version: '1.0.0', sealer });
    const v2 = await createAppVersionKey({ platform: 'android', version: '2.0.0', sealer });
    const before = await startHarness({ store, sealer, appVersions: { keys: [v1.entry, v2.entry] } });
    const after = await startHarness({
      store,
      sealer,
      appVersions: { keys: [v1.entry, v2.entry], minVersions: { android: '2.0.0' } },
    });
    try {
      const client = createKeyExchangeClient({
        baseUrl: before.url,
        app: { platform: 'android', version: '1.0.0', publicKey: v1.publicJwk },
        fetch: (input, init) =>
          fetch((input as string).replace(`${before.url}/api/echo`, `${after.url}/api/echo`), init),
      });
      await client.establish();
      const response = await client.fetch('/api/echo', { method: 'POST', body: { late: true } });
      expect(response.status).toBe(426);
      expect(await response.json()).toMatchObject({
        error: { code: 'upgrade_required', minVersion: '2.0.0' },
      });
    } finally {
      await before.close();
      await after.close();
    }
  });
});

describe('an app-version registry the app keeps current (appVersionRegistry)', () => {
  /**
   * Android 1.0.0 and 2.0.0 in a registry the test replaces (`use`) as an app does with a database, a harness that
   * asks it, and `client()`, a new 1.0.0 client.
   */
  async function liveRegistry() {
    const sealer = testSealer();
    const v1 = await createAppVersionKey({ platform: 'android', version: '1.0.0', sealer });
    const v2 = await createAppVersionKey({ platform: 'android', version: '2.0.0', sealer });
    let current = createAppVersionRegistry({ keys: [v1.entry, v2.entry] }, sealer);
    const h = await startHarness({
      sealer,
      appVersionRegistry: {
        check: (platform, version) => current.check(platform, version),
        privateKey: (kid) => current.privateKey(kid),
      },
    });
    return {
      v1,
      v2,
      h,
      use: (config: AppVersionsConfig) => {
        current = createAppVersionRegistry(config, sealer);
      },
      client: () =>
        createKeyExchangeClient({
          baseUrl: h.url,
          app: { platform: 'android', version: '1.0.0', publicKey: v1.publicJwk },
        }),
    };
  }

  it('applies a minimum version the registry learns to the next handshake and the open channel, no restart', async () => {
    const { v1, v2, h, use, client } = await liveRegistry();
    try {
      const open = client();
      expect((await open.fetch('/api/echo', { method: 'POST', body: { n: 1 } })).status).toBe(200);

      use({ keys: [v1.entry, v2.entry], minVersions: { android: '2.0.0' } });
      const late = await open.fetch('/api/echo', { method: 'POST', body: { n: 2 } });
      expect(late.status).toBe(426);
      expect(await late.json()).toMatchObject({ error: { code: 'upgrade_required', minVersion: '2.0.0' } });
      await expect(client().establish()).rejects.toMatchObject({ status: 426 });
    } finally {
      await h.close();
    }
  });

  it('refuses the open channel of a version whose key the registry withdrew (unknown, not retired)', async () => {
    const { v2, h, use, client } = await liveRegistry();
    try {
      const open = client();
      expect((await open.fetch('/api/echo', { method: 'POST', body: { n: 1 } })).status).toBe(200);
      use({ keys: [v2.entry] });
      // The channel answers invalid_envelope; the client then re-establishes once, which the registry refuses.
      await expect(open.fetch('/api/echo', { method: 'POST', body: { n: 2 } })).rejects.toMatchObject({
        status: 400,
        code: 'unknown_app_version',
      });
    } finally {
      await h.close();
    }
  });

  it('refuses both appVersions and appVersionRegistry, and a registry without its methods', async () => {
    const { keyExchange, createAppVersionRegistry } = await import('../src/index.js');
    const sealer = testSealer();
    const registry = createAppVersionRegistry({ keys: [] }, sealer);
    expect(() => keyExchange({ sealer, appVersions: { keys: [] }, appVersionRegistry: registry })).toThrow(
      /not both/,
    );
    expect(() =>
      keyExchange({ sealer, appVersionRegistry: { check: () => ({ status: 'unknown' }) } as never }),
    ).toThrow(/appVersionRegistry/);
  });
});
