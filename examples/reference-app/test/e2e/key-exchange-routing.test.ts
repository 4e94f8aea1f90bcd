import { randomBytes } from 'node:crypto';
import { startTestApp, type TestApp } from '../helpers/reference-app.js';
import { cookieHeader, fastHashing, recordingStore, setCookies, signUp } from './auth-helpers.js';
import { openWebChannel, type ChannelForTests } from './key-exchange-helpers.js';

// Route first, then open (docs/protocols/key-exchange.md, section 6): a method or path with no route answers 404
// without the channel opening the envelope or claiming its single-use id, and the handshake takes only
// application/jose (415 before any parser).

const kek = randomBytes(32);
const env = { ...fastHashing, WALLET_KEKS: `k1:${kek.toString('base64')}` };

describe('reference app: routing before the channel opens an envelope', () => {
  let t: TestApp;
  let store: ReturnType<typeof recordingStore>;
  let channel: ChannelForTests;
  const kxWrites = () => store.changedKeys(/^kx:/);
  const claims = () => store.changedKeys(/^kx:jti:/);

  beforeAll(async () => {
    store = recordingStore();
    t = await startTestApp(env, { store });
    const login = await signUp(t, 'kx-routing@example.com');
    channel = await openWebChannel(t, cookieHeader(setCookies(login)));
  });
  afterAll(async () => {
    await channel.close();
    await t.close();
  });

  it('opens an envelope on a routed path (the control: a claim is recorded)', async () => {
    const before = claims().length;
    const response = await channel.client.fetch('/api/wallets');
    expect(response.status).toBe(200);
    expect(claims()).toHaveLength(before + 1);
  });

  it.each([
    ['DELETE', '/api/wallets', undefined],
    ['PUT', '/api/wallets', { a: 1 }],
    ['POST', '/api/wallets/some-id/unknown', { a: 1 }],
    ['GET', '/api/wallets/some-id', undefined],
    ['DELETE', '/api/security/echo', undefined],
    ['POST', '/api/security/echo/extra', { a: 1 }],
    ['POST', '/api/activities/a1/leave', { a: 1 }],
    ['POST', '/api/nowhere', { a: 1 }],
    ['POST', '/nowhere', { a: 1 }],
  ])('answers an envelope sent %s %s with 404 not_found, claiming nothing', async (method, path, body) => {
    const before = kxWrites().length;
    const response = await channel.client.fetch(path, { method, ...(body === undefined ? {} : { body }) });
    expect(response.status).toBe(404);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe('not_found');
    expect(kxWrites()).toHaveLength(before);
  });

  it.each([
    ['a JWE', 'eyJhbGciOiJSU0EtT0FFUC0yNTYifQ.a.b.c.d'],
    ['a JSON object', '{"k":"x"}'],
  ])('answers a handshake sent as application/json (%s) with 415, storing nothing', async (_name, body) => {
    const before = kxWrites().length;
    const response = await t.request
      .post('/api/security/session-key')
      .set('content-type', 'application/json')
      .set('cookie', channel.cookies)
      .set('x-csrf-token', channel.csrfToken)
      .send(body);
    expect(response.status).toBe(415);
    expect(response.body.error.code).toBe('unsupported_media_type');
    expect(response.headers['set-cookie']).toBeUndefined();
    expect(kxWrites()).toHaveLength(before);
  });
});
