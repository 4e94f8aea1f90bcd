import express from 'express';
import { compactDecrypt, decodeProtectedHeader } from 'jose';
import { errorHandler, memoryStore } from '@shieldwall/core';
import { listen, type RunningServer } from '@shieldwall/test-utils';
import { createKeyExchangeClient } from '../src/client.js';
import { createAppVersionKey, keyExchange, type KeyExchangeOptions } from '../src/index.js';
import {
  countingStore,
  expectRefusal,
  loadPage,
  manualWebHandshake,
  requestEnvelope,
  testSealer,
} from './helpers.js';

// The channel middleware's edges: where the envelope may sit, what reaches the route (body and channel info), the
// sealed answer's headers, optional encryption, an app channel beside a web session cookie, and a channel opened
// on one instance and used on another (its key unsealed there, not cached).

const store = countingStore(memoryStore());
const sealer = testSealer();
const csrfSecrets = [{ id: 'k1', key: new Uint8Array(32).fill(9) }];
let ios: Awaited<ReturnType<typeof createAppVersionKey>>;
let a: RunningServer;
let b: RunningServer;

/** An instance on the shared store, with express.json() mounted before the channel as an app might. */
async function instance(options: Partial<KeyExchangeOptions>): Promise<RunningServer> {
  const kx = keyExchange({ store, sealer, csrfSecrets, secure: false, ...options });
  const app = express();
  app.get('/page', kx.csrfToken, (_req, res) => {
    res.json({ token: res.locals.csrfToken as string });
  });
  app.get('/api/security/public-key', kx.requireCsrf, kx.publicKey);
  app.post('/api/security/session-key', kx.sessionKey);
  app.use(express.json());
  const echo: express.RequestHandler = (req, res) => {
    res.json({ body: (req.body as unknown) ?? null, channel: (res.locals.keyExchange as unknown) ?? null });
  };
  app.all('/api/echo', kx.requireChannel, echo);
  app.all('/api/optional', kx.channel({ required: false }), echo);
  app.get('/api/nothing', kx.requireChannel, (_req, res) => {
    res.json();
  });
  app.use(errorHandler());
  return listen(app);
}

beforeAll(async () => {
  ios = await createAppVersionKey({ platform: 'ios', version: '2.4.0', sealer });
  const appVersions = { keys: [ios.entry], minVersions: { ios: '2.0.0' } };
  a = await instance({ appVersions });
  b = await instance({ appVersions });
});
afterAll(async () => {
  await a.close();
  await b.close();
});

async function webChannel(url: string) {
  const page = await loadPage(url);
  return { page, ...(await manualWebHandshake(url, page)) };
}

const open = async (response: Response, key: Uint8Array) =>
  JSON.parse(Buffer.from((await compactDecrypt(await response.text(), key)).plaintext).toString()) as unknown;

describe('the channel middleware', () => {
  it('hands the route the opened body and the channel, with its session', async () => {
    const { page, key, channel } = await webChannel(a.url);
    const response = await fetch(`${a.url}/api/echo`, {
      method: 'POST',
      headers: { 'content-type': 'application/jose', cookie: page.cookie },
      body: await requestEnvelope(key, channel, {}, { n: 1 }),
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/jose');
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(await open(response, key)).toEqual({
      body: { n: 1 },
      channel: { channelId: channel, sessionId: expect.any(String) },
    });
  });

  it('opens an envelope with an empty plaintext as a request without a body', async () => {
    const { page, key, channel } = await webChannel(a.url);
    const response = await fetch(`${a.url}/api/echo`, {
      method: 'POST',
      headers: { 'content-type': 'application/jose', cookie: page.cookie },
      body: await requestEnvelope(key, channel, {}, undefined),
    });
    expect(response.status).toBe(200);
    expect(await open(response, key)).toMatchObject({ body: null });
  });

  it('seals res.json() with no value as null', async () => {
    const { page, key, channel } = await webChannel(a.url);
    const response = await fetch(`${a.url}/api/nothing`, {
      headers: {
        cookie: page.cookie,
        'x-channel-envelope': await requestEnvelope(
          key,
          channel,
          { htm: 'GET', htu: '/api/nothing' },
          undefined,
        ),
      },
    });
    expect(response.status).toBe(200);
    expect(await open(response, key)).toBeNull();
  });

  it('refuses an envelope in both places, and a body beside a header envelope, claiming nothing', async () => {
    const { page, key, channel } = await webChannel(a.url);
    const inHeader = await requestEnvelope(key, channel, {}, undefined);
    const before = store.writes();
    const both = await fetch(`${a.url}/api/echo`, {
      method: 'POST',
      headers: { 'content-type': 'application/jose', cookie: page.cookie, 'x-channel-envelope': inHeader },
      body: await requestEnvelope(key, channel, {}, { n: 1 }),
    });
    await expectRefusal(store, both, 400, 'invalid_envelope', before);
    // An unauthenticated JSON body, which express.json() has already parsed, must not reach the route as the
    // channel's: declared with a length, or chunked.
    const withBody = await fetch(`${a.url}/api/echo`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', cookie: page.cookie, 'x-channel-envelope': inHeader },
      body: JSON.stringify({ amount: 1000 }),
    });
    await expectRefusal(store, withBody, 400, 'invalid_envelope', before);
    const chunked = await fetch(`${a.url}/api/echo`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', cookie: page.cookie, 'x-channel-envelope': inHeader },
      body: new Blob([JSON.stringify({ amount: 1000 })]).stream(),
      duplex: 'half',
    } as RequestInit);
    await expectRefusal(store, chunked, 400, 'invalid_envelope', before);
    // The same envelope with an empty body, as some clients send a DELETE: its id was never claimed.
    const empty = await fetch(`${a.url}/api/echo`, {
      method: 'POST',
      headers: { cookie: page.cookie, 'x-channel-envelope': inHeader, 'content-length': '0' },
    });
    expect(empty.status).toBe(200);
    expect(await open(empty, key)).toMatchObject({ body: null });
  });

  it('lets plaintext through an optional channel, unsealed, and still opens an envelope there', async () => {
    const plain = await fetch(`${a.url}/api/optional`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ n: 2 }),
    });
    expect(plain.status).toBe(200);
    expect(plain.headers.get('content-type')).toMatch(/^application\/json/);
    expect(await plain.json()).toEqual({ body: { n: 2 }, channel: null });
    const { page, key, channel } = await webChannel(a.url);
    const sealed = await fetch(`${a.url}/api/optional`, {
      method: 'POST',
      headers: { 'content-type': 'application/jose', cookie: page.cookie },
      body: await requestEnvelope(key, channel, { htu: '/api/optional' }, { n: 3 }),
    });
    expect(await open(sealed, key)).toMatchObject({ body: { n: 3 } });
  });

  it('serves an app channel whose requests also carry a web session cookie', async () => {
    const page = await loadPage(a.url);
    const client = createKeyExchangeClient({
      baseUrl: a.url,
      app: { platform: 'ios', version: '2.4.0', publicKey: ios.publicJwk },
      cookies: page.cookie,
    });
    const response = await client.fetch('/api/echo', { method: 'POST', body: { n: 4 } });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({
      body: { n: 4 },
      channel: { channelId: expect.any(String), platform: 'ios', version: '2.4.0' },
    });
  });

  it('serves a channel opened on another instance, unsealing its key there', async () => {
    const { page, key, channel } = await webChannel(a.url);
    const response = await fetch(`${b.url}/api/echo`, {
      method: 'POST',
      headers: { 'content-type': 'application/jose', cookie: page.cookie },
      body: await requestEnvelope(key, channel, {}, { n: 5 }),
    });
    expect(response.status).toBe(200);
    const text = await response.clone().text();
    expect(decodeProtectedHeader(text)).toMatchObject({ kid: channel, sts: 200 });
    expect(await open(response, key)).toMatchObject({ body: { n: 5 } });
  });
});
