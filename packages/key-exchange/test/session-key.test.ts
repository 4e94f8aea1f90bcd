import { randomBytes } from 'node:crypto';
import { base64url, compactDecrypt, type JWK } from 'jose';
import { manualClock, memoryStore, type ManualClock } from '@shieldwall/core';
import { createAppVersionKey } from '../src/index.js';
import {
  countingStore,
  loadPage,
  sessionKeyEnvelope,
  startHarness,
  testSealer,
  type Harness,
  expectRefusal,
} from './helpers.js';

// The session-key handler's own edges: the client key's spelling, which handshake a request is, the channel's end
// under a web key, and what the answer and the log carry. handshake.test.ts walks the handshakes themselves.

const day = 24 * 60 * 60 * 1000;
// Now, not a fixed date: the Node client stamps its envelopes with the real time.
const start = Date.now();

let clock: ManualClock;
let store: ReturnType<typeof countingStore>;
let logged: Array<{ message: string; fields?: Record<string, unknown> }>;
let ios: Awaited<ReturnType<typeof createAppVersionKey>>;
let h: Harness;
beforeEach(async () => {
  clock = manualClock(start);
  store = countingStore(memoryStore({ clock }));
  logged = [];
  const log = (message: string, fields?: Record<string, unknown>) => void logged.push({ message, fields });
  const sealer = testSealer();
  ios = await createAppVersionKey({ platform: 'ios', version: '2.4.0', sealer });
  h = await startHarness({
    clock,
    store,
    sealer,
    logger: { info: log, warn: log, error: log },
    appVersions: { keys: [ios.entry] },
  });
});
afterEach(() => h.close());

async function webPage(): Promise<{ token: string; cookie: string; jwk: JWK }> {
  const page = await loadPage(h.url);
  const response = await fetch(`${h.url}/api/security/public-key`, {
    headers: { 'x-csrf-token': page.token, cookie: page.cookie },
  });
  return { ...page, jwk: (await response.json()) as JWK };
}

const postSessionKey = (headers: Record<string, string>, body: string) =>
  fetch(`${h.url}/api/security/session-key`, {
    method: 'POST',
    headers: { 'content-type': 'application/jose', ...headers },
    body,
  });

/** Opens a web channel by hand and returns the answer's headers and its decrypted body. */
async function openWebChannel(page: { token: string; cookie: string; jwk: JWK }) {
  const key = new Uint8Array(randomBytes(32));
  const response = await postSessionKey(
    { 'x-csrf-token': page.token, cookie: page.cookie },
    await sessionKeyEnvelope(page.jwk, {}, { k: base64url.encode(key) }, clock),
  );
  expect(response.status).toBe(201);
  const { plaintext } = await compactDecrypt(await response.text(), key);
  const body = JSON.parse(Buffer.from(plaintext).toString()) as {
    channel: string;
    expiresAt: string;
    maxExpiresAt: string;
  };
  return { response, body, key };
}

const expectInvalidEnvelope = (response: Response, writesBefore: number) =>
  expectRefusal(store, response, 400, 'invalid_envelope', writesBefore);

describe('key-exchange session key: the client key', () => {
  it('refuses a key that is not 43 characters of canonical base64url, and a body that is not {"k": …}', async () => {
    const page = await webPage();
    const headers = { 'x-csrf-token': page.token, cookie: page.cookie };
    const good = base64url.encode(randomBytes(32));
    // The last of 43 characters carries 2 unused bits; canonical base64url leaves them 0.
    const lastValue = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'.indexOf(
      good.at(-1)!,
    );
    const nonCanonical =
      good.slice(0, -1) + 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'[lastValue | 1]!;
    const before = store.writes();
    for (const plaintext of [
      { k: good.slice(0, 42) },
      { k: base64url.encode(randomBytes(33)).slice(0, 44) },
      { k: `${good.slice(0, 42)}=` },
      { k: `+${good.slice(1)}` },
      { k: nonCanonical },
      { k: 42 },
      {},
      null,
      [good],
      new TextEncoder().encode('not json'),
    ]) {
      await expectInvalidEnvelope(
        await postSessionKey(headers, await sessionKeyEnvelope(page.jwk, {}, plaintext, clock)),
        before,
      );
    }
    // The same page opens a channel with a good key: the refusals above were about the key alone.
    await openWebChannel(page);
  });
});

describe('key-exchange session key: which handshake', () => {
  it('takes either app header alone as an app handshake and refuses it, never falling back to the web check', async () => {
    const page = await webPage();
    const web = { 'x-csrf-token': page.token, cookie: page.cookie };
    const before = store.writes();
    const alone: Array<Record<string, string>> = [{ 'x-app-platform': 'ios' }, { 'x-app-version': '2.4.0' }];
    for (const appHeader of alone) {
      const response = await postSessionKey(
        { ...web, ...appHeader },
        await sessionKeyEnvelope(page.jwk, {}, undefined, clock),
      );
      expect(response.status).toBe(400);
      expect(((await response.json()) as { error: { code: string } }).error.code).toBe('unknown_app_version');
      expect(store.writes()).toBe(before);
    }
  });
});

describe('key-exchange session key: the channel and the answer', () => {
  it('ends a web channel no later than the web key it was opened under', async () => {
    const first = await openWebChannel(await webPage());
    // A fresh key: the channel lives its full 30 days (channelMaxAgeMs), which is also the key's end.
    expect(first.body.maxExpiresAt).toBe(new Date(start + 30 * day).toISOString());
    // 13 days on, the same key is still current (rotation at 14): the channel ends with the key, not 30 days on.
    clock.advance(13 * day);
    const late = await openWebChannel(await webPage());
    expect(late.body.maxExpiresAt).toBe(new Date(start + 30 * day).toISOString());
  });

  it('answers with the sealed proof as application/jose, never cached', async () => {
    const { response } = await openWebChannel(await webPage());
    expect(response.headers.get('content-type')).toBe('application/jose');
    expect(response.headers.get('cache-control')).toBe('no-store');
  });

  it('logs each channel it opens, web or app, with its id and never its key', async () => {
    const web = await openWebChannel(await webPage());
    const { createKeyExchangeClient } = await import('../src/client.js');
    const app = createKeyExchangeClient({
      baseUrl: h.url,
      app: { platform: 'ios', version: '2.4.0', publicKey: ios.publicJwk },
    });
    await app.establish();
    const opened = logged.filter((e) => e.message === 'key-exchange: channel established');
    expect(opened).toEqual([
      { message: 'key-exchange: channel established', fields: { channel: web.body.channel, kind: 'web' } },
      {
        message: 'key-exchange: channel established',
        fields: { channel: expect.any(String) as string, platform: 'ios', version: '2.4.0' },
      },
    ]);
    expect(JSON.stringify(logged)).not.toContain(base64url.encode(web.key));
  });
});
