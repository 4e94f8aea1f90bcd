import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import express from 'express';
import { CompactEncrypt, base64url, importJWK, type JWK } from 'jose';
import { errorHandler, memoryStore, type Clock, type Store } from '@shieldwall/core';
import { listen, type RunningServer } from '@shieldwall/test-utils';
import { keyExchange, type KeyExchange, type KeyExchangeOptions, type SecretSealer } from '../src/index.js';
import { createKeyExchangeClient, type KeyExchangeClientOptions } from '../src/client.js';

/** A small AES-GCM sealer (the real one is @shieldwall/wallet-crypto's envelope); context is the AAD. */
export function testSealer(key: Buffer = randomBytes(32)): SecretSealer & { key: Buffer } {
  const aad = (context: Readonly<Record<string, string>>) =>
    Buffer.from(JSON.stringify(Object.entries(context).sort()));
  return {
    key,
    seal(plaintext, context) {
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', key, iv).setAAD(aad(context));
      const ct = Buffer.concat([cipher.update(plaintext), cipher.final()]);
      return Promise.resolve(`t1.${Buffer.concat([iv, ct, cipher.getAuthTag()]).toString('base64url')}`);
    },
    open(sealed, context) {
      const raw = Buffer.from(sealed.slice(3), 'base64url');
      const decipher = createDecipheriv('aes-256-gcm', key, raw.subarray(0, 12)).setAAD(aad(context));
      decipher.setAuthTag(raw.subarray(raw.length - 16));
      return Promise.resolve(
        new Uint8Array(Buffer.concat([decipher.update(raw.subarray(12, raw.length - 16)), decipher.final()])),
      );
    },
  };
}

/** A store view that counts writes, so refusals can assert that nothing was stored. */
export function countingStore(inner: Store = memoryStore()): Store & { writes(): number } {
  let writes = 0;
  const count = <T>(value: T): T => {
    writes += 1;
    return value;
  };
  return {
    ...inner,
    get: (key) => inner.get(key),
    set: (key, value, ttl) => count(inner.set(key, value, ttl)),
    setIfAbsent: async (key, value, ttl) => {
      const set = await inner.setIfAbsent(key, value, ttl);
      if (set) writes += 1;
      return set;
    },
    take: (key) => inner.take(key),
    delete: (key) => count(inner.delete(key)),
    increment: (key, ttl, by) => count(inner.increment(key, ttl, by)),
    writes: () => writes,
  };
}

/**
 * A refusal that answered `status` and `code`, set no cookie and wrote nothing to the store since `writesBefore`.
 * Every refusal test here asserts the three.
 */
export async function expectRefusal(
  store: { writes(): number },
  response: Response,
  status: number,
  code: string,
  writesBefore: number,
): Promise<void> {
  expect(response.status).toBe(status);
  expect(((await response.json()) as { error: { code: string } }).error.code).toBe(code);
  expect(response.headers.get('set-cookie')).toBeNull();
  expect(store.writes()).toBe(writesBefore);
}

export interface Harness {
  kx: KeyExchange;
  server: RunningServer;
  url: string;
  close(): Promise<void>;
}

/** An Express app with the key-exchange routes and an encrypted echo route, on a real loopback port. */
export async function startHarness(options: KeyExchangeOptions): Promise<Harness> {
  const kx = keyExchange({ secure: false, ...options });
  const app = express();
  app.get('/page', kx.csrfToken, (_req, res) => {
    res.json({ token: res.locals.csrfToken as string });
  });
  app.get('/api/security/public-key', kx.requireCsrf, kx.publicKey);
  app.post('/api/security/session-key', kx.sessionKey);
  app.all('/api/echo', kx.requireChannel, (req, res) => {
    res.json({
      method: req.method,
      body: (req.body as unknown) ?? null,
      channel: res.locals.keyExchange as unknown,
    });
  });
  app.all('/api/other', kx.requireChannel, (_req, res) => {
    res.json({ other: true });
  });
  app.use(errorHandler());
  const server = await listen(app);
  return { kx, server, url: server.url, close: () => server.close() };
}

/** Loads the page like a browser: returns the token and the session cookie. */
export async function loadPage(url: string, cookie?: string): Promise<{ token: string; cookie: string }> {
  const response = await fetch(`${url}/page`, { headers: cookie ? { cookie } : {} });
  const { token } = (await response.json()) as { token: string };
  const set = response.headers.getSetCookie()[0]!;
  return { token, cookie: set.split(';')[0]! };
}

export function webClient(
  url: string,
  page: { token: string; cookie: string },
  extra: KeyExchangeClientOptions = {},
) {
  return createKeyExchangeClient({ baseUrl: url, csrfToken: page.token, cookies: page.cookie, ...extra });
}

export function randomId(): string {
  return base64url.encode(randomBytes(18));
}

/** Hand-made envelopes for refusal tests (the wire format, written independently of the client). */
export async function sessionKeyEnvelope(
  jwk: JWK,
  header: Record<string, unknown> = {},
  plaintext: unknown = { k: base64url.encode(randomBytes(32)) },
  clock: Clock = { now: Date.now },
): Promise<string> {
  const key = await importJWK({ ...jwk, alg: 'RSA-OAEP-256' }, 'RSA-OAEP-256');
  const bytes = plaintext instanceof Uint8Array ? plaintext : Buffer.from(JSON.stringify(plaintext));
  return new CompactEncrypt(bytes)
    .setProtectedHeader({
      alg: 'RSA-OAEP-256',
      enc: 'A256GCM',
      kid: jwk.kid,
      typ: 'sw-key',
      htm: 'POST',
      htu: '/api/security/session-key',
      iat: Math.floor(clock.now() / 1000),
      jti: randomId(),
      ...header,
    })
    .encrypt(key);
}

export async function requestEnvelope(
  key: Uint8Array,
  channel: string,
  header: Record<string, unknown>,
  body: unknown,
  clock: Clock = { now: Date.now },
): Promise<string> {
  return new CompactEncrypt(body === undefined ? new Uint8Array(0) : Buffer.from(JSON.stringify(body)))
    .setProtectedHeader({
      alg: 'dir',
      enc: 'A256GCM',
      kid: channel,
      typ: 'sw-req',
      htm: 'POST',
      htu: '/api/echo',
      iat: Math.floor(clock.now() / 1000),
      jti: randomId(),
      ...header,
    })
    .encrypt(key);
}

/** A web handshake done by hand: returns the raw channel key and id (for crafting bad envelopes). */
export async function manualWebHandshake(
  url: string,
  page: { token: string; cookie: string },
  clock: Clock = { now: Date.now },
): Promise<{ key: Uint8Array; channel: string; jwk: JWK }> {
  const jwk = (await (
    await fetch(`${url}/api/security/public-key`, {
      headers: { 'x-csrf-token': page.token, cookie: page.cookie },
    })
  ).json()) as JWK;
  const key = new Uint8Array(randomBytes(32));
  const jwe = await sessionKeyEnvelope(jwk, {}, { k: base64url.encode(key) }, clock);
  const response = await fetch(`${url}/api/security/session-key`, {
    method: 'POST',
    headers: { 'content-type': 'application/jose', 'x-csrf-token': page.token, cookie: page.cookie },
    body: jwe,
  });
  if (response.status !== 201)
    throw new Error(`handshake failed: ${response.status} ${await response.text()}`);
  const { compactDecrypt } = await import('jose');
  const { plaintext } = await compactDecrypt(await response.text(), key);
  const { channel } = JSON.parse(Buffer.from(plaintext).toString()) as { channel: string };
  return { key, channel, jwk };
}
