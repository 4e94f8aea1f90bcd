import {
  constants,
  createCipheriv,
  createPublicKey,
  publicEncrypt,
  randomBytes,
  type JsonWebKeyInput,
} from 'node:crypto';
import { CompactEncrypt, base64url, importJWK, type JWK } from 'jose';
import { manualClock, memoryStore, type ManualClock } from '@shieldwall/core';
import {
  countingStore,
  loadPage,
  manualWebHandshake,
  randomId,
  requestEnvelope,
  sessionKeyEnvelope,
  startHarness,
  testSealer,
  type Harness,
  expectRefusal as refused,
} from './helpers.js';

type Counting = ReturnType<typeof countingStore>;

let h: Harness;
let store: Counting;
let clock: ManualClock;
beforeAll(async () => {
  clock = manualClock(Date.now());
  store = countingStore();
  h = await startHarness({ store, sealer: testSealer(), clock });
});
afterAll(() => h.close());

const expectRefusal = (response: Response, status: number, code: string, writesBefore: number) =>
  refused(store, response, status, code, writesBefore);

const post = (path: string, headers: Record<string, string>, body: string) =>
  fetch(`${h.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/jose', ...headers },
    body,
  });

describe('CSRF', () => {
  it('refuses the public key without a token, with a token from another session, and expired', async () => {
    const mine = await loadPage(h.url);
    const theirs = await loadPage(h.url);
    const before = store.writes();
    const get = (headers: Record<string, string>) => fetch(`${h.url}/api/security/public-key`, { headers });
    await expectRefusal(await get({ cookie: mine.cookie }), 403, 'csrf_invalid', before);
    await expectRefusal(
      await get({ 'x-csrf-token': theirs.token, cookie: mine.cookie }),
      403,
      'csrf_invalid',
      before,
    );
    await expectRefusal(await get({ 'x-csrf-token': mine.token }), 403, 'csrf_invalid', before);
    await expectRefusal(
      await get({ 'x-csrf-token': 'c2.p.AAAA', cookie: mine.cookie }),
      403,
      'csrf_invalid',
      before,
    );
    const tampered = mine.token.slice(0, -2) + (mine.token.endsWith('A') ? 'BB' : 'AA');
    await expectRefusal(
      await get({ 'x-csrf-token': tampered, cookie: mine.cookie }),
      403,
      'csrf_invalid',
      before,
    );
    clock.advance(14 * 24 * 3600 * 1000 + 1000);
    await expectRefusal(
      await get({ 'x-csrf-token': mine.token, cookie: mine.cookie }),
      403,
      'csrf_invalid',
      before,
    );
    clock.advance(-(14 * 24 * 3600 * 1000 + 1000));
    expect((await get({ 'x-csrf-token': mine.token, cookie: mine.cookie })).status).toBe(200);
  });

  it('never adopts a session id it did not make, and refuses tokens for one', async () => {
    // Same shape as a real id (32 base64url characters), but not made by this server.
    const chosen = `sw-session=${'A'.repeat(32)}`;
    const page = await loadPage(h.url, chosen);
    expect(page.cookie).not.toBe(chosen);
    const before = store.writes();
    const response = await fetch(`${h.url}/api/security/public-key`, {
      headers: { 'x-csrf-token': page.token, cookie: chosen },
    });
    await expectRefusal(response, 403, 'csrf_invalid', before);
  });

  it('refuses cross-site Fetch Metadata and foreign origins, and says it varies on them', async () => {
    const page = await loadPage(h.url);
    const before = store.writes();
    const get = (headers: Record<string, string>) =>
      fetch(`${h.url}/api/security/public-key`, {
        headers: { 'x-csrf-token': page.token, cookie: page.cookie, ...headers },
      });
    const crossSite = await get({ 'sec-fetch-site': 'cross-site' });
    expect(crossSite.headers.get('vary')).toMatch(/Sec-Fetch-Site/);
    await expectRefusal(crossSite, 403, 'csrf_invalid', before);
    await expectRefusal(await get({ origin: 'https://evil.example' }), 403, 'csrf_invalid', before);
    await expectRefusal(await get({ origin: 'null' }), 403, 'csrf_invalid', before);
    expect((await get({ origin: h.url, 'sec-fetch-site': 'same-origin' })).status).toBe(200);
  });

  it('refuses a web handshake without a valid token before touching the key', async () => {
    const page = await loadPage(h.url);
    const jwk = (await (
      await fetch(`${h.url}/api/security/public-key`, {
        headers: { 'x-csrf-token': page.token, cookie: page.cookie },
      })
    ).json()) as JWK;
    const before = store.writes();
    const jwe = await sessionKeyEnvelope(jwk, {}, undefined, clock);
    await expectRefusal(
      await post('/api/security/session-key', { cookie: page.cookie }, jwe),
      403,
      'csrf_invalid',
      before,
    );
  });

  it('ends a session: its tokens stop working, and its id is not adopted again', async () => {
    const page = await loadPage(h.url);
    await manualWebHandshake(h.url, page, clock);
    await h.kx.endSession({ headers: { cookie: page.cookie } } as never);
    const before = store.writes();
    const response = await fetch(`${h.url}/api/security/public-key`, {
      headers: { 'x-csrf-token': page.token, cookie: page.cookie },
    });
    await expectRefusal(response, 403, 'csrf_invalid', before);
    expect((await loadPage(h.url, page.cookie)).cookie).not.toBe(page.cookie);
  });

  it('writes nothing to end a session that never opened a channel (it has no state)', async () => {
    const page = await loadPage(h.url);
    await h.kx.endSession({ headers: { cookie: page.cookie } } as never);
    const sid = page.cookie.slice(page.cookie.indexOf('=') + 1);
    expect(await store.get(`kx:csrf:end:${sid}`)).toBeUndefined();
    // Its tokens stay valid until they expire: they open nothing but a handshake, and a channel is not a sign-in.
    const response = await fetch(`${h.url}/api/security/public-key`, {
      headers: { 'x-csrf-token': page.token, cookie: page.cookie },
    });
    expect(response.status).toBe(200);
  });
});

describe('session-key envelopes', () => {
  let page: { token: string; cookie: string };
  let jwk: JWK;
  beforeAll(async () => {
    page = await loadPage(h.url);
    jwk = (await (
      await fetch(`${h.url}/api/security/public-key`, {
        headers: { 'x-csrf-token': page.token, cookie: page.cookie },
      })
    ).json()) as JWK;
  });
  const headers = () => ({ 'x-csrf-token': page.token, cookie: page.cookie });

  it.each([
    ['a wrong kid', { kid: 'w0-AAAAAAAA' }],
    ['a stale time', { iat: Math.floor(Date.now() / 1000) - 3600 }],
    ['a future time', { iat: Math.floor(Date.now() / 1000) + 3600 }],
    ['another route', { htu: '/api/security/other' }],
    ['another method', { htm: 'PUT' }],
    ['a channel typ', { typ: 'sw-req' }],
    ['a short jti', { jti: 'abc' }],
  ])('refuses %s with invalid_envelope and stores nothing', async (_name, header) => {
    const jwe = await sessionKeyEnvelope(
      jwk,
      { iat: Math.floor(clock.now() / 1000), ...header },
      undefined,
      clock,
    );
    const before = store.writes();
    await expectRefusal(
      await post('/api/security/session-key', headers(), jwe),
      400,
      'invalid_envelope',
      before,
    );
  });

  it('refuses RSA1_5, other enc values and a key that is not 32 bytes', async () => {
    // RSA1_5 built by hand: jose no longer produces it, and the server must still refuse it.
    const publicKey = createPublicKey({ key: jwk as JsonWebKeyInput['key'], format: 'jwk' });
    const cek = randomBytes(32);
    const header = base64url.encode(
      JSON.stringify({
        alg: 'RSA1_5',
        enc: 'A256GCM',
        kid: jwk.kid,
        typ: 'sw-key',
        htm: 'POST',
        htu: '/api/security/session-key',
        iat: Math.floor(clock.now() / 1000),
        jti: randomId(),
      }),
    );
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', cek, iv).setAAD(Buffer.from(header));
    const ct = Buffer.concat([
      cipher.update(JSON.stringify({ k: base64url.encode(randomBytes(32)) })),
      cipher.final(),
    ]);
    const rsa15 = [
      header,
      base64url.encode(publicEncrypt({ key: publicKey, padding: constants.RSA_PKCS1_PADDING }, cek)),
      base64url.encode(iv),
      base64url.encode(ct),
      base64url.encode(cipher.getAuthTag()),
    ].join('.');
    let before = store.writes();
    await expectRefusal(
      await post('/api/security/session-key', headers(), rsa15),
      400,
      'invalid_envelope',
      before,
    );

    for (const [alg, enc] of [
      ['RSA-OAEP', 'A256GCM'],
      ['RSA-OAEP-256', 'A128GCM'],
      ['RSA-OAEP-256', 'A256CBC-HS512'],
    ] as const) {
      const key = await importJWK({ ...jwk, alg }, alg);
      const jwe = await new CompactEncrypt(
        Buffer.from(JSON.stringify({ k: base64url.encode(randomBytes(32)) })),
      )
        .setProtectedHeader({
          alg,
          enc,
          kid: jwk.kid,
          typ: 'sw-key',
          htm: 'POST',
          htu: '/api/security/session-key',
          iat: Math.floor(clock.now() / 1000),
          jti: randomId(),
        })
        .encrypt(key);
      before = store.writes();
      await expectRefusal(
        await post('/api/security/session-key', headers(), jwe),
        400,
        'invalid_envelope',
        before,
      );
    }
    const short = await sessionKeyEnvelope(jwk, {}, { k: base64url.encode(randomBytes(16)) }, clock);
    before = store.writes();
    await expectRefusal(
      await post('/api/security/session-key', headers(), short),
      400,
      'invalid_envelope',
      before,
    );
  });

  it('refuses a tampered envelope and garbage', async () => {
    const jwe = await sessionKeyEnvelope(jwk, {}, undefined, clock);
    const parts = jwe.split('.');
    const ct = Buffer.from(parts[3]!, 'base64url');
    ct[0] = ct[0]! ^ 1;
    parts[3] = ct.toString('base64url');
    const before = store.writes();
    await expectRefusal(
      await post('/api/security/session-key', headers(), parts.join('.')),
      400,
      'invalid_envelope',
      before,
    );
    await expectRefusal(
      await post('/api/security/session-key', headers(), 'not a jwe'),
      400,
      'invalid_envelope',
      before,
    );
  });

  it('accepts an envelope once and refuses its replay', async () => {
    const jwe = await sessionKeyEnvelope(jwk, {}, undefined, clock);
    expect((await post('/api/security/session-key', headers(), jwe)).status).toBe(201);
    const before = store.writes();
    await expectRefusal(
      await post('/api/security/session-key', headers(), jwe),
      400,
      'invalid_envelope',
      before,
    );
  });
});

describe('channel envelopes', () => {
  let page: { token: string; cookie: string };
  let key: Uint8Array;
  let channel: string;
  beforeAll(async () => {
    page = await loadPage(h.url);
    ({ key, channel } = await manualWebHandshake(h.url, page, clock));
  });
  const send = (jwe: string, path = '/api/echo', extra: Record<string, string> = {}) =>
    post(path, { cookie: page.cookie, ...extra }, jwe);

  it('opens a good envelope and seals the answer to it', async () => {
    const response = await send(await requestEnvelope(key, channel, {}, { a: 1 }, clock));
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/jose');
  });

  it('refuses plaintext with encryption_required', async () => {
    const before = store.writes();
    const response = await fetch(`${h.url}/api/echo`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', cookie: page.cookie },
      body: '{"a":1}',
    });
    await expectRefusal(response, 400, 'encryption_required', before);
  });

  it.each([
    ['a wrong route', { htu: '/api/other' }, '/api/echo'],
    ['a request moved to another route', {}, '/api/other'],
    ['a wrong method', { htm: 'PUT' }, '/api/echo'],
    ['a stale time', { iat: 'stale' }, '/api/echo'],
    ['an unknown channel', { kid: `c${'A'.repeat(22)}` }, '/api/echo'],
    ['a response typ', { typ: 'sw-res' }, '/api/echo'],
  ])('refuses %s with invalid_envelope', async (_name, header, path) => {
    const fixed = { ...header } as Record<string, unknown>;
    if (fixed.iat === 'stale') fixed.iat = Math.floor(clock.now() / 1000) - 61;
    const jwe = await requestEnvelope(key, channel, fixed, { a: 1 }, clock);
    const before = store.writes();
    await expectRefusal(await send(jwe, path), 400, 'invalid_envelope', before);
  });

  it('refuses a replay, a tampered body, a wrong key and another session', async () => {
    const jwe = await requestEnvelope(key, channel, {}, { a: 1 }, clock);
    expect((await send(jwe)).status).toBe(200);
    const before = store.writes();
    await expectRefusal(await send(jwe), 400, 'invalid_envelope', before);

    const parts = (await requestEnvelope(key, channel, {}, { a: 1 }, clock)).split('.');
    parts[4] = Buffer.from(randomBytes(16)).toString('base64url');
    await expectRefusal(await send(parts.join('.')), 400, 'invalid_envelope', before);

    const wrongKey = await requestEnvelope(new Uint8Array(randomBytes(32)), channel, {}, { a: 1 }, clock);
    await expectRefusal(await send(wrongKey), 400, 'invalid_envelope', before);

    const other = await loadPage(h.url);
    const stolen = await requestEnvelope(key, channel, {}, { a: 1 }, clock);
    const response = await post('/api/echo', { cookie: other.cookie }, stolen);
    expect(response.status).toBe(400);
  });

  it('puts GET envelopes in X-Channel-Envelope and refuses a body there', async () => {
    const ok = await requestEnvelope(key, channel, { htm: 'GET' }, undefined, clock);
    const response = await fetch(`${h.url}/api/echo`, {
      headers: { cookie: page.cookie, 'x-channel-envelope': ok },
    });
    expect(response.status).toBe(200);
    const withBody = await requestEnvelope(key, channel, { htm: 'GET' }, { a: 1 }, clock);
    const before = store.writes();
    const refused = await fetch(`${h.url}/api/echo`, {
      headers: { cookie: page.cookie, 'x-channel-envelope': withBody },
    });
    await expectRefusal(refused, 400, 'invalid_envelope', before);
  });

  it('refuses an envelope over the size limit with 413', async () => {
    const before = store.writes();
    await expectRefusal(await send('x'.repeat(1024 * 1024 + 10)), 413, 'payload_too_large', before);
  });

  /** A chunked POST (no Content-Length), one chunk per part. */
  const sendChunks = (parts: Buffer[]) => {
    const queue = [...parts];
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        const next = queue.shift();
        if (next) controller.enqueue(next);
        else controller.close();
      },
    });
    return fetch(`${h.url}/api/echo`, {
      method: 'POST',
      headers: { cookie: page.cookie, 'content-type': 'application/jose' },
      body,
      duplex: 'half',
    } as RequestInit);
  };

  it('refuses a chunked envelope once it grows past the limit, without a declared length', async () => {
    const before = store.writes();
    const chunk = Buffer.alloc(64 * 1024, 'x');
    const response = await sendChunks(Array.from({ length: 24 }, () => chunk));
    await expectRefusal(response, 413, 'payload_too_large', before);
  });

  it('still opens a good envelope sent in chunks', async () => {
    const jwe = await requestEnvelope(key, channel, {}, { a: 1 }, clock);
    const half = Math.floor(jwe.length / 2);
    const response = await sendChunks([jwe.slice(0, half), jwe.slice(half)].map((part) => Buffer.from(part)));
    expect(response.status).toBe(200);
  });
});

describe('a replay cache with no room', () => {
  it('answers 503 store_unavailable, not invalid_envelope, and accepts the same envelope once there is room', async () => {
    const ownClock = manualClock(Date.now());
    // Room for the handshake's state, and for one claim: the handshake's own replay id takes it.
    const small = memoryStore({ clock: ownClock, maxEntries: 16 });
    const own = await startHarness({ store: small, sealer: testSealer(), clock: ownClock });
    try {
      const page = await loadPage(own.url);
      const { key, channel } = await manualWebHandshake(own.url, page, ownClock);
      for (let i = 0; i < 16; i += 1) await small.setIfAbsent(`filler:${i}`, '1', 1_000);
      const jwe = await requestEnvelope(key, channel, {}, { a: 1 }, ownClock);
      const send = () =>
        fetch(`${own.url}/api/echo`, {
          method: 'POST',
          headers: { cookie: page.cookie, 'content-type': 'application/jose' },
          body: jwe,
        });
      const refused = await send();
      expect(refused.status).toBe(503);
      expect(((await refused.json()) as { error: { code: string } }).error.code).toBe('store_unavailable');
      ownClock.advance(1_000);
      expect((await send()).status).toBe(200);
      expect((await send()).status).toBe(400);
    } finally {
      await own.close();
      await small.close();
    }
  });
});
