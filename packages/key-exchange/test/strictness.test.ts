import { constants, createCipheriv, createPublicKey, publicEncrypt, randomBytes } from 'node:crypto';
import express from 'express';
import { CompactEncrypt, base64url, type JWK } from 'jose';
import { errorHandler, manualClock, memoryStore, type Logger, type ManualClock } from '@shieldwall/core';
import { listen, type RunningServer } from '@shieldwall/test-utils';
import { keyExchange } from '../src/index.js';
import { isStrictBase64url } from '../src/base64url.js';
import { jsonDepthWithin } from '../src/json-depth.js';
import {
  countingStore,
  loadPage,
  manualWebHandshake,
  requestEnvelope,
  sessionKeyEnvelope,
  testSealer,
  expectRefusal as refused,
} from './helpers.js';

// RFC 7516 strictness (crit, canonical base64url) and the JSON depth bound, on both the handshake (RSA, opened by
// jose) and the channel (dir, opened by node:crypto).

let server: RunningServer;
let store: ReturnType<typeof countingStore>;
let clock: ManualClock;
const logged: Array<{ level: string; message: string; fields?: Record<string, unknown> }> = [];
const logger: Logger = {
  info: () => {},
  warn: (message, fields) => logged.push({ level: 'warn', message, ...(fields ? { fields } : {}) }),
  error: (message, fields) => logged.push({ level: 'error', message, ...(fields ? { fields } : {}) }),
};

beforeAll(async () => {
  clock = manualClock(Date.now());
  store = countingStore(memoryStore({ clock }));
  const kx = keyExchange({ store, sealer: testSealer(), clock, secure: false, logger });
  const app = express();
  app.get('/page', kx.csrfToken, (_req, res) => {
    res.json({ token: res.locals.csrfToken as string });
  });
  app.get('/api/security/public-key', kx.requireCsrf, kx.publicKey);
  app.post('/api/security/session-key', kx.sessionKey);
  // Walks the body recursively, as routes do (JSON.stringify): the depth bound is what keeps it from overflowing.
  app.post('/api/echo', kx.requireChannel, (req, res) => {
    res.json({ body: req.body as unknown });
  });
  app.use(errorHandler({ logger }));
  server = await listen(app);
});
afterAll(() => server.close());

const post = (path: string, headers: Record<string, string>, body: string) =>
  fetch(`${server.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/jose', ...headers },
    body,
  });

const expectRefusal = (response: Response, status: number, code: string, writesBefore: number) =>
  refused(store, response, status, code, writesBefore);

/** A compact JWE sealed by hand (jose will not seal a `crit` it does not know). `ek` empty for `dir`. */
function sealByHand(
  header: Record<string, unknown>,
  cek: Uint8Array,
  ek: Uint8Array,
  plaintext: unknown,
): string {
  const h = base64url.encode(JSON.stringify(header));
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', cek, iv);
  cipher.setAAD(Buffer.from(h, 'ascii'));
  const ct = Buffer.concat([cipher.update(JSON.stringify(plaintext)), cipher.final()]);
  return [
    h,
    base64url.encode(ek),
    base64url.encode(iv),
    base64url.encode(ct),
    base64url.encode(cipher.getAuthTag()),
  ].join('.');
}

const envelopeHeader = (kid: string, typ: string, htu: string) => ({
  kid,
  typ,
  htm: 'POST',
  htu,
  iat: Math.floor(clock.now() / 1000),
  jti: base64url.encode(randomBytes(18)),
});

/** Changes the last character of a part so that its unused trailing bits are not zero (same bytes in a lax decoder). */
function nonCanonical(part: string): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
  const rest = part.length % 4;
  if (rest === 0) throw new Error(`part of length ${part.length} has no unused bits`);
  const last = alphabet.indexOf(part.at(-1)!);
  return part.slice(0, -1) + alphabet[last | 1];
}

/** Re-encodes the protected header with extra members, keeping the rest (the tag then fails, but crit is first). */
function withPart(jwe: string, index: number, part: string): string {
  const parts = jwe.split('.');
  parts[index] = part;
  return parts.join('.');
}

/** Pads `json` with spaces until its base64url has unused bits, so a non-canonical spelling of it exists. */
function headerWithUnusedBits(header: Record<string, unknown>): Record<string, unknown> {
  for (let pad = 0; pad < 3; pad++) {
    const candidate = { ...header, x: 'y'.repeat(pad) };
    if (base64url.encode(JSON.stringify(candidate)).length % 4 !== 0) return candidate;
  }
  throw new Error('unreachable');
}

describe('isStrictBase64url', () => {
  it('accepts exactly the canonical encodings (the round trip through Buffer is the identity)', () => {
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_=+/ .';
    for (let i = 0; i < 1000; i++) {
      const length = i % 9;
      let s = '';
      for (let j = 0; j < length; j++) s += alphabet[randomBytes(1)[0]! % alphabet.length];
      const canonical = /^[A-Za-z0-9_-]*$/.test(s) && Buffer.from(s, 'base64url').toString('base64url') === s;
      expect([s, isStrictBase64url(s)]).toEqual([s, canonical]);
    }
  });
});

describe('jsonDepthWithin', () => {
  it.each([
    ['[]', 1, true],
    ['[[]]', 1, false],
    ['{"a":{"b":[1]}}', 3, true],
    ['{"a":{"b":[1]}}', 2, false],
    ['"[[[[[["', 1, true],
    ['["\\"[[["]', 1, true],
    ['["\\\\",[[]]]', 2, false],
  ])('%s within %d: %s', (text, max, within) => {
    expect(jsonDepthWithin(Buffer.from(text), max)).toBe(within);
  });
});

describe('the channel (dir)', () => {
  let page: { token: string; cookie: string };
  let key: Uint8Array;
  let channel: string;
  beforeAll(async () => {
    page = await loadPage(server.url);
    ({ key, channel } = await manualWebHandshake(server.url, page, clock));
  });
  const send = (jwe: string) => post('/api/echo', { cookie: page.cookie }, jwe);

  it('still opens a good envelope', async () => {
    const response = await send(await requestEnvelope(key, channel, {}, { a: [1, { b: 2 }] }, clock));
    expect(response.status).toBe(200);
  });

  it.each([
    ['an unknown extension', { crit: ['exp'], exp: 1 }],
    ['an empty crit', { crit: [] }],
    ['crit naming a registered member', { crit: ['kid'] }],
  ])('refuses %s in crit with invalid_envelope, claiming nothing', async (_name, header) => {
    // Sealed correctly (the tag covers the header), so only the crit check can refuse it.
    const jwe = sealByHand(
      { alg: 'dir', enc: 'A256GCM', ...envelopeHeader(channel, 'sw-req', '/api/echo'), ...header },
      key,
      new Uint8Array(0),
      { a: 1 },
    );
    const before = store.writes();
    await expectRefusal(await send(jwe), 400, 'invalid_envelope', before);
  });

  it('refuses a non-canonical base64url part with invalid_envelope', async () => {
    const header = headerWithUnusedBits({});
    const good = await requestEnvelope(key, channel, header, { a: 1 }, clock);
    const parts = good.split('.');
    const before = store.writes();
    for (const index of [0, 2, 3, 4]) {
      if (parts[index]!.length % 4 === 0) continue;
      const bad = withPart(good, index, nonCanonical(parts[index]!));
      expect(Buffer.from(bad.split('.')[index]!, 'base64url')).toEqual(
        Buffer.from(parts[index]!, 'base64url'),
      );
      await expectRefusal(await send(bad), 400, 'invalid_envelope', before);
    }
    for (const extra of ['=', ' ', '+']) {
      await expectRefusal(await send(withPart(good, 3, parts[3]! + extra)), 400, 'invalid_envelope', before);
    }
    // The untouched envelope is still accepted: nothing above burnt its single-use id.
    expect((await send(good)).status).toBe(200);
  });

  /** An envelope around raw text (requestEnvelope stringifies, which a deep value would overflow here too). */
  const rawEnvelope = (text: string) =>
    new CompactEncrypt(Buffer.from(text))
      .setProtectedHeader({
        alg: 'dir',
        enc: 'A256GCM',
        kid: channel,
        typ: 'sw-req',
        htm: 'POST',
        htu: '/api/echo',
        iat: Math.floor(clock.now() / 1000),
        jti: base64url.encode(randomBytes(18)),
      })
      .encrypt(key);

  it('refuses JSON nested deeper than 32 levels with 400 json_too_deep, logging nothing', async () => {
    for (const depth of [33, 100_000]) {
      const jwe = await rawEnvelope(`{"a":${'['.repeat(depth - 1)}${']'.repeat(depth - 1)}}`);
      const before = store.writes();
      logged.length = 0;
      await expectRefusal(await send(jwe), 400, 'json_too_deep', before);
      expect(logged).toEqual([]);
    }
    const atLimit = await rawEnvelope(`{"a":${'['.repeat(31)}${']'.repeat(31)}}`);
    expect((await send(atLimit)).status).toBe(200);
  });

  it('refuses a body that is not JSON with invalid_json, claiming nothing', async () => {
    const before = store.writes();
    await expectRefusal(await send(await rawEnvelope('{"a":')), 400, 'invalid_json', before);
  });
});

describe('the handshake (RSA-OAEP-256, opened by jose)', () => {
  let page: { token: string; cookie: string };
  let jwk: JWK;
  beforeAll(async () => {
    page = await loadPage(server.url);
    jwk = (await (
      await fetch(`${server.url}/api/security/public-key`, {
        headers: { 'x-csrf-token': page.token, cookie: page.cookie },
      })
    ).json()) as JWK;
  });
  const handshake = (jwe: string) =>
    post('/api/security/session-key', { 'x-csrf-token': page.token, cookie: page.cookie }, jwe);

  it('refuses crit with invalid_envelope and opens no channel', async () => {
    const cek = randomBytes(32);
    const publicKey = createPublicKey({ key: jwk, format: 'jwk' });
    const ek = publicEncrypt(
      { key: publicKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' },
      cek,
    );
    const header = {
      alg: 'RSA-OAEP-256',
      enc: 'A256GCM',
      ...envelopeHeader(jwk.kid!, 'sw-key', '/api/security/session-key'),
    };
    const good = sealByHand(header, cek, ek, { k: base64url.encode(randomBytes(32)) });
    const jwe = sealByHand({ ...header, crit: ['exp'], exp: 1 }, cek, ek, {
      k: base64url.encode(randomBytes(32)),
    });
    const before = store.writes();
    await expectRefusal(await handshake(jwe), 400, 'invalid_envelope', before);
    // The same envelope without crit is accepted: the hand sealing is sound.
    expect((await handshake(good)).status).toBe(201);
  });

  it('refuses a non-canonical base64url part with invalid_envelope and opens no channel', async () => {
    const good = await sessionKeyEnvelope(jwk, headerWithUnusedBits({}), undefined, clock);
    const parts = good.split('.');
    const before = store.writes();
    for (const index of [0, 1, 2, 3, 4]) {
      if (parts[index]!.length % 4 === 0) continue;
      await expectRefusal(
        await handshake(withPart(good, index, nonCanonical(parts[index]!))),
        400,
        'invalid_envelope',
        before,
      );
    }
    expect((await handshake(good)).status).toBe(201);
  });
});
