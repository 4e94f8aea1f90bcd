import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createAppVersionKey } from '@shieldwall/key-exchange';
import { createKeyExchangeClient } from '@shieldwall/key-exchange/client';
import { listen, type RunningServer } from '../helpers/http.js';
import { envelopeSealer } from '@shieldwall/wallet-crypto';
import { startTestApp, type TestApp } from '../helpers/reference-app.js';
import { cookieHeader, fastHashing, recordingStore, setCookies, signUp } from './auth-helpers.js';
import { openWebChannel } from './key-exchange-helpers.js';

const kek = randomBytes(32);
const env = { ...fastHashing, WALLET_KEKS: `k1:${kek.toString('base64')}` };
const kxKeys = (store: ReturnType<typeof recordingStore>) => store.changedKeys(/^kx:(ch|csrf|sch|ring):/);

describe('reference app: GET / and the web key exchange', () => {
  let t: TestApp;
  let store: ReturnType<typeof recordingStore>;
  let server: RunningServer;
  beforeAll(async () => {
    store = recordingStore();
    t = await startTestApp(env, { store });
    server = await listen(t.app);
  });
  afterAll(async () => {
    await server.close();
    await t.close();
  });

  it('embeds a fresh CSRF token in the page on every render, never in a cookie', async () => {
    const first = await t.agent.get('/').expect(200);
    const second = await t.agent.get('/').expect(200);
    const token = (html: string) => /<meta name="csrf-token" content="([^"]+)">/.exec(html)?.[1];
    expect(token(first.text)).toBeDefined();
    expect(token(first.text)).not.toBe(token(second.text));
    const cookies = setCookies(first);
    expect(Object.keys(cookies)).toEqual(['sw-session']);
    expect(Object.values(cookies)).not.toContain(token(first.text));
    const line = (first.headers['set-cookie'] as unknown as string[])[0]!;
    expect(line).toMatch(/HttpOnly/);
    expect(line).toMatch(/SameSite=Lax/);
    expect(first.text).toContain('<script nonce="');
    // The page's module bundles the browser client (pages/assets.ts), under a content-hash name.
    expect(first.text).toMatch(/src="\/assets\/home\.[0-9a-f]{16}\.js" integrity="sha384-/);
  });

  it('serves the browser client as same-origin JavaScript', async () => {
    const response = await t.request.get('/assets/key-exchange-client.js').expect(200);
    expect(response.headers['content-type']).toMatch(/^text\/javascript/);
    expect(response.text).toContain('ShieldwallKeyExchange');
  });

  it('refuses the public key without a CSRF token and stores nothing', async () => {
    const before = kxKeys(store).length;
    const response = await t.request.get('/api/security/public-key').expect(403);
    expect(response.body.error.code).toBe('csrf_invalid');
    expect(kxKeys(store)).toHaveLength(before);
  });

  it('runs the full handshake with the Node client and an encrypted echo', async () => {
    const channel = await openWebChannel(t);
    try {
      const response = await channel.client.fetch('/api/security/echo', { method: 'POST', body: { n: 1 } });
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual({ echo: { n: 1 }, method: 'POST' });
      const get = await channel.client.fetch('/api/security/echo');
      expect(await get.json()).toEqual({ echo: null, method: 'GET' });
    } finally {
      await channel.close();
    }
  });

  it('refuses a web handshake without the token (403) and plaintext on the echo (400)', async () => {
    const before = kxKeys(store).length;
    const refused = await t.request
      .post('/api/security/session-key')
      .set('content-type', 'application/jose')
      .send('a.b.c.d.e')
      .expect(403);
    expect(refused.body.error.code).toBe('csrf_invalid');
    const plain = await t.request.post('/api/security/echo').send({ n: 1 }).expect(400);
    expect(plain.body.error.code).toBe('encryption_required');
    expect(kxKeys(store)).toHaveLength(before);
  });

  it('ends the web session on logout: the channel key and the CSRF token stop working at once', async () => {
    const login = await signUp(t, 'kx-logout@example.com');
    const channel = await openWebChannel(t, cookieHeader(setCookies(login)));
    const publicKey = () =>
      t.request
        .get('/api/security/public-key')
        .set('cookie', channel.cookies)
        .set('x-csrf-token', channel.csrfToken);
    try {
      expect(
        (await channel.client.fetch('/api/security/echo', { method: 'POST', body: { n: 1 } })).status,
      ).toBe(200);
      expect((await publicKey()).status).toBe(200);
      await t.request.post('/api/auth/logout').set('cookie', channel.cookies).expect(204);
      // The client retries once with a fresh handshake; the session is marked ended, so that fails too.
      await expect(
        channel.client.fetch('/api/security/echo', { method: 'POST', body: { n: 2 } }),
      ).rejects.toMatchObject({ status: 403, code: 'csrf_invalid' });
      const key = await publicKey();
      expect(key.status).toBe(403);
      expect(key.body.error.code).toBe('csrf_invalid');
    } finally {
      await channel.close();
    }
  });

  it('puts the wallet routes behind the channel', async () => {
    const login = await signUp(t, 'kx@example.com');
    const auth = cookieHeader(setCookies(login));
    const plain = await t.request.get('/api/wallets').set('cookie', auth).expect(400);
    expect(plain.body.error.code).toBe('encryption_required');
    const channel = await openWebChannel(t, auth);
    try {
      const created = await channel.client.fetch('/api/wallets', { method: 'POST', body: {} });
      expect(created.status).toBe(201);
      const listed = await channel.client.fetch('/api/wallets');
      expect(listed.status).toBe(200);
      expect(JSON.stringify(await listed.json())).toContain('address');
    } finally {
      await channel.close();
    }
  });
});

describe('reference app: mobile app versions (MOBILE_APP_KEYS_FILE)', () => {
  let t: TestApp;
  let server: RunningServer;
  let current: Awaited<ReturnType<typeof createAppVersionKey>>;
  let old: Awaited<ReturnType<typeof createAppVersionKey>>;
  beforeAll(async () => {
    const sealer = envelopeSealer({ keks: [{ id: 'k1', key: kek }] });
    current = await createAppVersionKey({ platform: 'android', version: '3.1.0', sealer });
    old = await createAppVersionKey({ platform: 'android', version: '3.0.2', sealer });
    const dir = mkdtempSync(join(tmpdir(), 'kx-'));
    const file = join(dir, 'mobile-app-keys.json');
    writeFileSync(
      file,
      JSON.stringify({
        keys: [current.entry, old.entry],
        minVersions: { android: '3.1.0' },
        upgradeUrls: { android: 'https://play.example.com/app' },
      }),
    );
    t = await startTestApp({ ...env, MOBILE_APP_KEYS_FILE: file });
    server = await listen(t.app);
  });
  afterAll(async () => {
    await server.close();
    await t.close();
  });

  it('establishes with the version key, without CSRF, and makes an encrypted call', async () => {
    const client = createKeyExchangeClient({
      baseUrl: server.url,
      app: { platform: 'android', version: '3.1.0', publicKey: current.publicJwk },
    });
    const response = await client.fetch('/api/security/echo', { method: 'POST', body: { from: 'app' } });
    expect(await response.json()).toEqual({ echo: { from: 'app' }, method: 'POST' });
  });

  it('answers a retired version with 426 and an unknown one with 400', async () => {
    const retired = await t.request
      .post('/api/security/session-key')
      .set('content-type', 'application/jose')
      .set('x-app-platform', 'android')
      .set('x-app-version', '3.0.2')
      .send('a.b.c.d.e')
      .expect(426);
    expect(retired.body.error).toMatchObject({
      code: 'upgrade_required',
      minVersion: '3.1.0',
      upgradeUrl: 'https://play.example.com/app',
    });
    const unknown = await t.request
      .post('/api/security/session-key')
      .set('content-type', 'application/jose')
      .set('x-app-platform', 'android')
      .set('x-app-version', '9.9.9')
      .send('a.b.c.d.e')
      .expect(400);
    expect(unknown.body.error.code).toBe('unknown_app_version');
  });
});
