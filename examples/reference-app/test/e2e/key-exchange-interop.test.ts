/**
 * A web client of the key-exchange protocol written from docs/protocols/key-exchange.md alone, on `node:crypto` and
 * the global `fetch`, against the real reference app over loopback. It deliberately does not use
 * `@shieldwall/key-exchange` or `jose`: if this passes, the document is enough to implement a client.
 */
import {
  createCipheriv,
  createDecipheriv,
  createPublicKey,
  constants,
  publicEncrypt,
  randomBytes,
  type JsonWebKey,
} from 'node:crypto';
import { listen, type RunningServer } from '../helpers/http.js';
import { startTestApp, type TestApp } from '../helpers/reference-app.js';

type Header = Record<string, unknown>;

const b64u = (buf: Buffer | string): string => Buffer.from(buf).toString('base64url');
const fromB64u = (s: string): Buffer => Buffer.from(s, 'base64url');
const now = (): number => Math.floor(Date.now() / 1000);
const newJti = (): string => b64u(randomBytes(24)); // 32 characters, 192 random bits

/** AES-256-GCM seal of a compact JWE body; `ek` is the (possibly empty) encrypted-key part. */
function seal(header: Header, cek: Buffer, ek: Buffer, plaintext: Buffer): string {
  const h = b64u(JSON.stringify(header));
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', cek, iv);
  cipher.setAAD(Buffer.from(h, 'ascii'));
  const ct = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  const tag = cipher.getAuthTag();
  return [h, ek.length ? b64u(ek) : '', b64u(iv), b64u(ct), b64u(tag)].join('.');
}

/** Opens a `dir` / `A256GCM` compact JWE under `key`; throws when it does not authenticate. */
function open(jwe: string, key: Buffer): { header: Header; plaintext: Buffer } {
  const parts = jwe.split('.');
  expect(parts).toHaveLength(5);
  const [h, ek, iv, ct, tag] = parts as [string, string, string, string, string];
  expect(ek).toBe('');
  const header = JSON.parse(fromB64u(h).toString('utf8')) as Header;
  expect(header).toMatchObject({ alg: 'dir', enc: 'A256GCM' });
  const ivBuf = fromB64u(iv);
  const tagBuf = fromB64u(tag);
  expect(ivBuf).toHaveLength(12);
  expect(tagBuf).toHaveLength(16);
  const decipher = createDecipheriv('aes-256-gcm', key, ivBuf);
  decipher.setAAD(Buffer.from(h, 'ascii'));
  decipher.setAuthTag(tagBuf);
  const plaintext = Buffer.concat([decipher.update(fromB64u(ct)), decipher.final()]);
  return { header, plaintext };
}

interface WebSession {
  cookie: string;
  csrf: string;
}

interface Channel {
  id: string;
  key: Buffer;
  expiresAt: string;
}

describe('key exchange: a node:crypto client written from the protocol document', () => {
  let t: TestApp;
  let server: RunningServer;

  beforeAll(async () => {
    t = await startTestApp({ BCRYPT_COST: '4' });
    server = await listen(t.app);
  });

  afterAll(async () => {
    await server.close();
    await t.close();
  });

  /** Section 2: GET / gives the CSRF token in a meta tag and the session cookie. */
  async function openPage(): Promise<WebSession> {
    const res = await fetch(`${server.url}/`);
    expect(res.status).toBe(200);
    const html = await res.text();
    const csrf = /<meta name="csrf-token" content="([^"]+)"/.exec(html)?.[1];
    expect(csrf).toMatch(/^c2\.[^.]+\.[A-Za-z0-9_-]+$/);
    const setCookies = res.headers.getSetCookie();
    const session = setCookies.find((c) => /^(__Host-)?sw-session=/.test(c));
    expect(session).toBeDefined();
    // Development / test without TLS: plain name, no Secure.
    expect(session).toMatch(/^sw-session=[A-Za-z0-9_-]{32};/);
    expect(session).toMatch(/HttpOnly/i);
    expect(session).not.toMatch(/;\s*Secure/i);
    const cookie = (session ?? '').split(';')[0] ?? '';
    return { cookie, csrf: csrf ?? '' };
  }

  /** Section 3: the web public key. */
  async function fetchPublicKey(web: WebSession): Promise<JsonWebKey & { kid: string; exp: number }> {
    const res = await fetch(`${server.url}/api/security/public-key`, {
      headers: { 'X-CSRF-Token': web.csrf, Cookie: web.cookie },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toContain('no-store');
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    const jwk = (await res.json()) as JsonWebKey & {
      kid: string;
      alg: string;
      use: string;
      iat: number;
      exp: number;
    };
    expect(jwk).toMatchObject({ kty: 'RSA', e: 'AQAB', alg: 'RSA-OAEP-256', use: 'enc' });
    expect(jwk.kid).toMatch(/^w[0-9a-z]+-.{8}$/);
    expect(fromB64u(jwk.n ?? '').length * 8).toBeGreaterThanOrEqual(2048);
    expect(Number.isInteger(jwk.iat) && Number.isInteger(jwk.exp)).toBe(true);
    expect(jwk.iat).toBeLessThanOrEqual(now() + 60);
    expect(jwk.exp).toBeGreaterThan(now());
    return jwk;
  }

  /** Section 5 / 11: the handshake JWE built by hand, and the check of the server's proof of possession. */
  async function handshake(web: WebSession): Promise<Channel> {
    const jwk = await fetchPublicKey(web);
    const publicKey = createPublicKey({ key: jwk, format: 'jwk' });
    const k = randomBytes(32);
    const cek = randomBytes(32);
    const jti = newJti();
    const htu = '/api/security/session-key';
    const header = {
      alg: 'RSA-OAEP-256',
      enc: 'A256GCM',
      kid: jwk.kid,
      typ: 'sw-key',
      htm: 'POST',
      htu,
      iat: now(),
      jti,
    };
    const ek = publicEncrypt(
      { key: publicKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' },
      cek,
    );
    const plaintext = JSON.stringify({ k: b64u(k) });
    expect(JSON.parse(plaintext).k).toHaveLength(43);
    const body = seal(header, cek, ek, Buffer.from(plaintext, 'utf8'));

    const res = await fetch(`${server.url}${htu}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/jose', 'X-CSRF-Token': web.csrf, Cookie: web.cookie },
      body,
    });
    expect(res.status).toBe(201);
    expect(res.headers.get('content-type')).toMatch(/^application\/jose/);
    expect(res.headers.get('cache-control')).toContain('no-store');
    const answer = open(await res.text(), k);
    const proof = JSON.parse(answer.plaintext.toString('utf8')) as {
      channel: string;
      expiresAt: string;
      maxExpiresAt: string;
    };
    expect(answer.header.typ).toBe('sw-res');
    expect(answer.header.rid).toBe(jti);
    expect(answer.header.kid).toBe(proof.channel);
    // The status is bound into the protected header (section 5).
    expect(answer.header.sts).toBe(201);
    expect(answer.header).toMatchObject({ htm: 'POST', htu });
    expect(Math.abs((answer.header.iat as number) - now())).toBeLessThanOrEqual(60);
    expect(proof.channel).toMatch(/^c[A-Za-z0-9_-]{22}$/);
    expect(Date.parse(proof.expiresAt)).toBeGreaterThan(Date.now());
    // Section 5: the hard end, never before the idle expiry, never after the web key's `exp`.
    expect(Date.parse(proof.maxExpiresAt)).toBeGreaterThanOrEqual(Date.parse(proof.expiresAt));
    expect(Date.parse(proof.maxExpiresAt)).toBeLessThan((jwk.exp + 1) * 1000);
    return { id: proof.channel, key: k, expiresAt: proof.expiresAt };
  }

  /** Section 6: an envelope for a channel request. */
  function envelope(
    channel: Channel,
    htm: string,
    htu: string,
    body?: unknown,
  ): { jwe: string; jti: string } {
    const jti = newJti();
    const header = { alg: 'dir', enc: 'A256GCM', kid: channel.id, typ: 'sw-req', htm, htu, iat: now(), jti };
    const plaintext = body === undefined ? Buffer.alloc(0) : Buffer.from(JSON.stringify(body), 'utf8');
    return { jwe: seal(header, channel.key, Buffer.alloc(0), plaintext), jti };
  }

  async function send(
    web: WebSession,
    htm: string,
    htu: string,
    jwe: string,
    withBody: boolean,
  ): Promise<Response> {
    return fetch(`${server.url}${htu}`, {
      method: htm,
      headers: withBody
        ? { 'Content-Type': 'application/jose', Cookie: web.cookie }
        : { 'X-Channel-Envelope': jwe, Cookie: web.cookie },
      ...(withBody ? { body: jwe } : {}),
    });
  }

  /** Section 7: open and bind a channel response. */
  async function openResponse(
    res: Response,
    channel: Channel,
    jti: string,
    htm: string,
    htu: string,
  ): Promise<unknown> {
    expect(res.headers.get('content-type')).toMatch(/^application\/jose/);
    expect(res.headers.get('cache-control')).toContain('no-store');
    const { header, plaintext } = open(await res.text(), channel.key);
    expect(header.typ).toBe('sw-res');
    // Section 7: the HTTP status is authenticated as `sts`; a client refuses an answer whose status differs.
    expect(header.sts).toBe(res.status);
    expect(header.kid).toBe(channel.id);
    expect(header.rid).toBe(jti);
    expect(header).toMatchObject({ htm, htu });
    return JSON.parse(plaintext.toString('utf8'));
  }

  it('hands over a session key, then carries an encrypted POST and GET and refuses a replay', async () => {
    const web = await openPage();
    const channel = await handshake(web);
    const htu = '/api/security/echo';

    // Encrypted POST with a JSON body.
    const payload = { hello: 'world', n: 7, nested: { list: [1, 2, 3] } };
    const post = envelope(channel, 'POST', htu, payload);
    const postRes = await send(web, 'POST', htu, post.jwe, true);
    expect(postRes.status).toBe(200);
    expect(await openResponse(postRes, channel, post.jti, 'POST', htu)).toEqual({
      echo: payload,
      method: 'POST',
    });

    // Encrypted GET: the envelope in X-Channel-Envelope, empty plaintext.
    const get = envelope(channel, 'GET', htu);
    const getRes = await send(web, 'GET', htu, get.jwe, false);
    expect(getRes.status).toBe(200);
    // The document does not say what the echo route returns for an empty body; observed: `echo: null`.
    expect(await openResponse(getRes, channel, get.jti, 'GET', htu)).toEqual({ echo: null, method: 'GET' });

    // Replay of the very same POST envelope: the jti was claimed.
    const replay = await send(web, 'POST', htu, post.jwe, true);
    expect(replay.status).toBe(400);
    expect(replay.headers.get('content-type')).toMatch(/^application\/json/);
    expect(await replay.json()).toMatchObject({ error: { code: 'invalid_envelope' } });

    // HEAD (section 6): sealed with htm HEAD, answered with the GET's status and headers and no body.
    const head = envelope(channel, 'HEAD', htu);
    const headRes = await send(web, 'HEAD', htu, head.jwe, false);
    expect(headRes.status).toBe(200);
    expect(headRes.headers.get('content-type')).toMatch(/^application\/jose/);
    expect(await headRes.text()).toBe('');
    const getOnHead = envelope(channel, 'GET', htu);
    const getOnHeadRes = await send(web, 'HEAD', htu, getOnHead.jwe, false);
    expect(getOnHeadRes.status).toBe(400);

    // Replay of the GET envelope too.
    const replayGet = await send(web, 'GET', htu, get.jwe, false);
    expect(replayGet.status).toBe(400);
    expect(await replayGet.json()).toMatchObject({ error: { code: 'invalid_envelope' } });
  });

  it('refuses the documented error cases', async () => {
    const web = await openPage();
    const channel = await handshake(web);
    const htu = '/api/security/echo';

    // Plaintext request to a channel route.
    const plain = await fetch(`${server.url}${htu}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Cookie: web.cookie },
      body: JSON.stringify({ a: 1 }),
    });
    expect(plain.status).toBe(400);
    expect(await plain.json()).toMatchObject({ error: { code: 'encryption_required' } });

    // An envelope made for another method or another target (htm / htu are checked and authenticated).
    for (const [htm, target] of [
      ['PUT', htu],
      ['POST', `${htu}?x=1`],
    ] as const) {
      const moved = envelope(channel, htm, target, { a: 1 });
      const movedRes = await send(web, 'POST', htu, moved.jwe, true);
      expect(movedRes.status).toBe(400);
      expect(await movedRes.json()).toMatchObject({ error: { code: 'invalid_envelope' } });
    }

    // The query string is part of htu: a GET with a query, sealed with it, is accepted.
    const query = `${htu}?page=2&q=a%20b`;
    const withQuery = envelope(channel, 'GET', query);
    const withQueryRes = await send(web, 'GET', query, withQuery.jwe, false);
    expect(withQueryRes.status).toBe(200);
    expect(await openResponse(withQueryRes, channel, withQuery.jti, 'GET', query)).toMatchObject({
      method: 'GET',
    });

    // A delayed envelope (iat outside the 60 s window) is refused.
    const stale = (() => {
      const jti = newJti();
      const header = {
        alg: 'dir',
        enc: 'A256GCM',
        kid: channel.id,
        typ: 'sw-req',
        htm: 'POST',
        htu,
        iat: now() - 300,
        jti,
      };
      return seal(header, channel.key, Buffer.alloc(0), Buffer.from('{"a":1}', 'utf8'));
    })();
    const staleRes = await send(web, 'POST', htu, stale, true);
    expect(staleRes.status).toBe(400);
    expect(await staleRes.json()).toMatchObject({ error: { code: 'invalid_envelope' } });

    // Another session (a fresh cookie) cannot use this channel.
    const other = await openPage();
    const stolen = envelope(channel, 'POST', htu, { a: 1 });
    const stolenRes = await send(other, 'POST', htu, stolen.jwe, true);
    expect(stolenRes.status).toBe(400);
    expect(await stolenRes.json()).toMatchObject({ error: { code: 'invalid_envelope' } });

    // Several channels per web session (section 5: two tabs do not end each other's channels): a second handshake
    // leaves the first channel working.
    const renewed = await handshake(web);
    expect(renewed.id).not.toBe(channel.id);
    for (const [open_, body] of [
      [channel, { a: 1 }],
      [renewed, { a: 2 }],
    ] as const) {
      const sent = envelope(open_, 'POST', htu, body);
      const sentRes = await send(web, 'POST', htu, sent.jwe, true);
      expect(sentRes.status).toBe(200);
      expect(await openResponse(sentRes, open_, sent.jti, 'POST', htu)).toEqual({
        echo: body,
        method: 'POST',
      });
    }

    // The public key without the CSRF token.
    const noCsrf = await fetch(`${server.url}/api/security/public-key`, { headers: { Cookie: web.cookie } });
    expect(noCsrf.status).toBe(403);
    expect(await noCsrf.json()).toMatchObject({ error: { code: 'csrf_invalid' } });

    // The handshake with the wrong media type.
    const badType = await fetch(`${server.url}/api/security/session-key`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': web.csrf, Cookie: web.cookie },
      body: '{}',
    });
    expect(badType.status).toBe(415);
    expect(await badType.json()).toMatchObject({ error: { code: 'unsupported_media_type' } });
  });
});
