import {
  constants,
  createCipheriv,
  createHash,
  createDecipheriv,
  createPublicKey,
  generateKeyPairSync,
  privateDecrypt,
  publicEncrypt,
  randomBytes,
  type JsonWebKeyInput,
  type KeyObject,
} from 'node:crypto';
import express, { type RequestHandler } from 'express';
import { errorHandler, memoryStore } from '@shieldwall/core';
import { securityHeaders } from '@shieldwall/headers';
import { createAppVersionKey, ephemeralSealer, keyExchange } from '@shieldwall/key-exchange';
import { jwtCookies } from '@shieldwall/jwt-cookies';
import { rateLimit } from '@shieldwall/rate-limits';
import { bodyGuard, clientIp, corsGuard } from '@shieldwall/request-guard';
import type { BenchRequest, HttpScenario, OpsScenario } from '../types.js';
import { benchOrigin, benchSecret, signInAccessCookie } from './baseline.js';

// DESIGN.md budgets: session-key establishment (RSA-OAEP unwrap and store) at least 1,000 per second, and an
// encrypted 1 KB JSON request and response at least 0.80 of the same request in plaintext through the stack.

const seconds = Number(process.env.BENCH_SECONDS ?? 5);
/**
 * How many single-use envelopes a scenario makes before it is measured: enough for `perSecond` over the run, or
 * BENCH_POOL. `BENCH_POOL=0` makes each one as it is sent, for bench/instructions.ts under valgrind: a pool made
 * there ahead of time takes so long that its envelopes' iat leaves the 60 s window before they are used.
 */
const poolSize = (perSecond: number): number => Number(process.env.BENCH_POOL ?? (seconds + 2) * perSecond);

/** Single-use requests for an HTTP scenario: a pool made up front, or (BENCH_POOL=0) each made when sent. */
function singleUse(make: () => BenchRequest): () => BenchRequest {
  const size = poolSize(10_000);
  if (size === 0) return make;
  const pool = Array.from({ length: size }, make);
  let next = 0;
  return () => pool[next++ % pool.length]!;
}
const b64 = (data: Uint8Array | string): string => Buffer.from(data).toString('base64url');
const jti = (): string => b64(randomBytes(18));

// The JWE compact serialisation with node:crypto alone, straight from docs/protocols/key-exchange.md (the bench
// folder has no jose; this doubles as a check that the document is enough to write a client).
function seal(header: object, cek: Buffer, encryptedKey: Buffer, plaintext: Uint8Array): string {
  const protectedHeader = b64(JSON.stringify(header));
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', cek, iv).setAAD(Buffer.from(protectedHeader, 'ascii'));
  const ct = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return [protectedHeader, b64(encryptedKey), b64(iv), b64(ct), b64(cipher.getAuthTag())].join('.');
}
const rsaOaep256 = (rsa: KeyObject, header: object, plaintext: Uint8Array): string => {
  const cek = randomBytes(32);
  const wrapped = publicEncrypt(
    { key: rsa, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' },
    cek,
  );
  return seal(header, cek, wrapped, plaintext);
};
const dirA256gcm = (key: Buffer, header: object, plaintext: Uint8Array): string =>
  seal(header, key, Buffer.alloc(0), plaintext);
function openDir(key: Buffer, jwe: string): Buffer {
  const [h, , iv, ct, tag] = jwe.split('.') as [string, string, string, string, string];
  const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url')).setAAD(
    Buffer.from(h, 'ascii'),
  );
  decipher.setAuthTag(Buffer.from(tag, 'base64url'));
  return Buffer.concat([decipher.update(Buffer.from(ct, 'base64url')), decipher.final()]);
}
const rsaKey = (jwk: object): KeyObject =>
  createPublicKey({ key: jwk as JsonWebKeyInput['key'], format: 'jwk' });

/** About 1 KB of JSON. */
const body = {
  id: 'u_1',
  items: Array.from({ length: 12 }, (_, i) => ({
    sku: `sku-${i}`,
    qty: i + 1,
    price: 1999 + i,
    note: 'bench',
  })),
};

/**
 * Mobile session-key envelopes (RSA-OAEP-256 over `{ k }`, a fresh client key each), enough for a run at up to
 * 4,000 handshakes a second: single-use, so they are made before the measured loop.
 */
function handshakePool(rsa: KeyObject, kid: string): string[] {
  return Array.from({ length: poolSize(4000) }, () =>
    rsaOaep256(
      rsa,
      {
        alg: 'RSA-OAEP-256',
        enc: 'A256GCM',
        kid,
        typ: 'sw-key',
        htm: 'POST',
        htu: '/api/security/session-key',
        iat: Math.floor(Date.now() / 1000),
        jti: jti(),
      },
      Buffer.from(JSON.stringify({ k: b64(randomBytes(32)) })),
    ),
  );
}

const handshakes: OpsScenario = {
  kind: 'ops',
  name: 'key-exchange-session-key',
  group: 'key-exchange',
  description:
    'POST /api/security/session-key handler (mobile path): RSA-OAEP-256 unwrap (2048), replay claim, channel stored, proof sealed',
  async setup() {
    const sealer = ephemeralSealer();
    const app = await createAppVersionKey({ platform: 'ios', version: '1.0.0', sealer });
    const kx = keyExchange({ sealer, appVersions: { keys: [app.entry] } });
    const rsa = rsaKey(app.publicJwk);
    // Envelopes are single-use: make a pool first, so the measured loop is the server's work only.
    const pool = handshakePool(rsa, app.entry.kid);
    let next = 0;
    const headers: Record<string, string> = {
      'content-type': 'application/jose',
      'x-app-platform': 'ios',
      'x-app-version': '1.0.0',
    };
    return {
      op: () =>
        new Promise<void>((resolve, reject) => {
          const req = {
            method: 'POST',
            originalUrl: '/api/security/session-key',
            headers,
            body: pool[next++ % pool.length],
            get: (name: string) => headers[name.toLowerCase()],
          };
          const res = {
            statusCode: 200,
            status(code: number) {
              this.statusCode = code;
              return this;
            },
            setHeader() {},
            vary() {},
            end() {
              if (this.statusCode === 201) resolve();
              else reject(new Error(`status ${this.statusCode}`));
            },
          };
          (kx.sessionKey as unknown as (q: unknown, s: unknown, n: (e?: unknown) => void) => void)(
            req,
            res,
            (e) => reject(e instanceof Error ? e : new Error('refused')),
          );
        }),
    };
  },
};

/**
 * The physical ceiling of the handshake: the RSA-OAEP-256 (2048) decryption it cannot avoid, with nothing else.
 * DESIGN.md holds `key-exchange-session-key` to at least 0.90 of this rate, measured in the same run.
 */
const bareDecrypt: OpsScenario = {
  kind: 'ops',
  name: 'key-exchange-rsa-oaep-decrypt',
  group: 'key-exchange',
  description: 'lower bound: crypto.privateDecrypt, RSA-OAEP-256 (2048) of a 32-byte key, nothing else',
  setup() {
    const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const oaep = { padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' };
    const pool = Array.from({ length: 1000 }, () =>
      publicEncrypt({ key: publicKey, ...oaep }, randomBytes(32)),
    );
    let next = 0;
    return Promise.resolve({
      op: () => Promise.resolve(privateDecrypt({ key: privateKey, ...oaep }, pool[next++ % pool.length]!)),
    });
  },
};

/**
 * The least a correct handshake can cost: not a product. The RSA-OAEP-256 unwrap, the AES-GCM open of the client's
 * key, a Set for single-use ids, a random channel id, the key sealed at rest with AES-GCM into a Map, and the proof
 * sealed under the new key. No header rules, no time window, no base64url form or JSON shape checks, no store.
 * `key-exchange-session-key` cannot reach more of the bare decryption than this does on the same machine.
 */
const floorHandshake: OpsScenario = {
  kind: 'ops',
  name: 'floor-handshake',
  group: 'key-exchange',
  description:
    'lower bound: RSA-OAEP-256 unwrap, AES-GCM open, Set replay check, key sealed into a Map, proof sealed; no checks',
  setup() {
    const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const pool = handshakePool(publicKey, 'floor');
    const used = new Set<string>();
    const records = new Map<string, string>();
    const atRest = randomBytes(32);
    let next = 0;
    return Promise.resolve({
      op: () => {
        const jwe = pool[next++ % pool.length]!;
        const [h, wrapped] = jwe.split('.') as [string, string];
        const header = JSON.parse(Buffer.from(h, 'base64url').toString()) as { jti: string };
        const cek = privateDecrypt(
          { key: privateKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' },
          Buffer.from(wrapped, 'base64url'),
        );
        // openDir skips the encrypted-key part: the unwrapped key opens the rest like a `dir` envelope.
        const plain = openDir(cek, jwe);
        const key = Buffer.from((JSON.parse(plain.toString()) as { k: string }).k, 'base64url');
        if (used.has(header.jti))
          return Promise.reject(new Error('replayed envelope: the pool is too small'));
        used.add(header.jti);
        const id = `c${b64(randomBytes(16))}`;
        const ivAtRest = randomBytes(12);
        const sealer = createCipheriv('aes-256-gcm', atRest, ivAtRest);
        const sealed = Buffer.concat([ivAtRest, sealer.update(key), sealer.final(), sealer.getAuthTag()]);
        records.set(id, JSON.stringify({ id, k: b64(sealed) }));
        return Promise.resolve(
          dirA256gcm(
            key,
            { alg: 'dir', enc: 'A256GCM', kid: id, rid: header.jti, sts: 201 },
            Buffer.from(JSON.stringify({ channel: id })),
          ),
        );
      },
    });
  },
};

/**
 * The stack the channel scenarios share. `full`: DESIGN.md's documented stack, which the budget's "through the
 * stack" refers to (headers, client IP, CORS, body guard, a rate limit and JWT cookie auth on the route), as the
 * reference app's channel routes run. Otherwise only headers, client IP and body guard, which leaves the channel's
 * own cost as large a share as it can be. `channel` replaces what opens the echo route's body (the floor scenario).
 */
function stackApp(encrypted: boolean, full: boolean, channel?: RequestHandler) {
  // Every encrypted request claims its single-use id for two minutes; the store is sized so that a long run
  // (BENCH_SECONDS) never fills its claim slots, which would answer 503 by design.
  const store = memoryStore({ maxEntries: Math.max(100_000, (seconds + 5) * 10_000) });
  const kx = keyExchange({ secure: false, store, sealer: ephemeralSealer() });
  const auth = jwtCookies({ keys: [{ id: 'k1', key: Buffer.from(benchSecret) }], secure: false });
  const app = express();
  app.use(securityHeaders({ preset: 'recommended' }));
  app.use(clientIp({ mode: 'socket' }));
  if (full) app.use(corsGuard({ origins: [benchOrigin] }));
  app.use(
    bodyGuard({
      routes: [
        { path: '/api/echo', types: ['application/jose', 'application/json'] },
        { path: '/api/security/session-key', types: ['application/jose'] },
      ],
    }),
  );
  app.get('/page', kx.csrfToken, (_req, res) => {
    res.json({ token: res.locals.csrfToken as string });
  });
  app.get('/api/security/public-key', kx.requireCsrf, kx.publicKey);
  app.post('/api/security/session-key', kx.sessionKey);
  app.post('/bench/sign-in', async (_req, res) => {
    await auth.signIn(res, 'u_1');
    res.status(204).end();
  });
  const guards = full
    ? [rateLimit({ name: 'api', limit: 1_000_000_000, windowMs: 60_000 }), auth.requireAuth]
    : [];
  const opener = channel ?? (encrypted ? kx.requireChannel : express.json());
  app.post('/api/echo', ...guards, opener, (req, res) => {
    res.json(req.body);
  });
  app.use(errorHandler());
  return app;
}

/** A web handshake by hand (the wire format of docs/protocols/key-exchange.md); returns the channel key and id. */
async function handshake(baseUrl: string): Promise<{ key: Buffer; channel: string; cookie: string }> {
  const page = await fetch(`${baseUrl}/page`);
  const { token } = (await page.json()) as { token: string };
  const cookie = page.headers.getSetCookie()[0]!.split(';')[0]!;
  const jwk = (await (
    await fetch(`${baseUrl}/api/security/public-key`, { headers: { 'x-csrf-token': token, cookie } })
  ).json()) as { kid: string };
  const key = randomBytes(32);
  const jwe = rsaOaep256(
    rsaKey(jwk),
    {
      alg: 'RSA-OAEP-256',
      enc: 'A256GCM',
      kid: jwk.kid,
      typ: 'sw-key',
      htm: 'POST',
      htu: '/api/security/session-key',
      iat: Math.floor(Date.now() / 1000),
      jti: jti(),
    },
    Buffer.from(JSON.stringify({ k: b64(key) })),
  );
  const response = await fetch(`${baseUrl}/api/security/session-key`, {
    method: 'POST',
    headers: { 'content-type': 'application/jose', 'x-csrf-token': token, cookie },
    body: jwe,
  });
  if (response.status !== 201)
    throw new Error(`handshake refused: ${response.status} ${await response.text()}`);
  const { channel } = JSON.parse(openDir(key, await response.text()).toString()) as { channel: string };
  return { key, channel, cookie };
}

/** With the full stack: the access cookie and an allowed Origin, as a signed-in browser sends them. */
async function signedIn(
  baseUrl: string,
  full: boolean,
): Promise<{ cookies: string[]; headers: Record<string, string> }> {
  if (!full) return { cookies: [], headers: {} };
  const access = await signInAccessCookie(baseUrl);
  return { cookies: [access], headers: { origin: benchOrigin } };
}

function plaintext(full: boolean): HttpScenario {
  return {
    kind: 'http',
    name: full ? 'channel-plaintext-1kb' : 'channel-plaintext-1kb-partial-stack',
    group: full ? 'channel' : 'channel-partial-stack',
    baseline: true,
    description: `POST /api/echo, 1 KB JSON in and out, plaintext through ${full ? 'the full stack' : 'headers + clientIp + bodyGuard'} + express.json`,
    createApp: () => Promise.resolve(stackApp(false, full)),
    // A function, like the encrypted scenario's: autocannon then builds every request the same way for both (a
    // static request is pre-serialised once and sent far faster), so the ratio measures the server, not the client.
    async prepare(baseUrl) {
      const user = await signedIn(baseUrl, full);
      const request: BenchRequest = {
        method: 'POST',
        path: '/api/echo',
        headers: {
          'content-type': 'application/json',
          ...user.headers,
          ...(full ? { cookie: user.cookies.join('; ') } : {}),
        },
        body: JSON.stringify(body),
      };
      return () => request;
    },
  };
}

function encrypted(full: boolean): HttpScenario {
  return {
    kind: 'http',
    name: full ? 'channel-encrypted-1kb' : 'channel-encrypted-1kb-partial-stack',
    group: full ? 'channel' : 'channel-partial-stack',
    description:
      'the same request and response as JWE (dir, A256GCM) over a web channel: replay claim, decrypt, encrypt',
    createApp: () => Promise.resolve(stackApp(true, full)),
    async prepare(baseUrl) {
      const user = await signedIn(baseUrl, full);
      const { key, channel, cookie: session } = await handshake(baseUrl);
      const cookie = [session, ...user.cookies].join('; ');
      const plain = Buffer.from(JSON.stringify(body));
      return singleUse(() => ({
        method: 'POST',
        path: '/api/echo',
        headers: { 'content-type': 'application/jose', cookie, ...user.headers },
        body: dirA256gcm(
          key,
          {
            alg: 'dir',
            enc: 'A256GCM',
            kid: channel,
            typ: 'sw-req',
            htm: 'POST',
            htu: '/api/echo',
            iat: Math.floor(Date.now() / 1000),
            jti: jti(),
          },
          plain,
        ),
      }));
    },
  };
}

// The least an encrypted request and response can cost through the same full stack: not a product. A fixed key
// both processes know (no handshake), a Map lookup by kid, one AES-GCM open and one seal, a Set for single-use ids,
// JSON.parse and JSON.stringify, and a response header bound to the request's id. No checks of typ, method, path,
// time, base64url form or JSON depth, no store, no session binding. Whatever its ratio to
// `channel-plaintext-1kb` is, the channel budget cannot be met above it on the same machine.
const floorChannelId = 'floor-channel';
const floorChannelKey = createHash('sha256').update('shieldwall bench floor channel').digest();

function leastChannel(): RequestHandler {
  const keys = new Map([[floorChannelId, floorChannelKey]]);
  const used = new Set<string>();
  return (req, res, next) => {
    let text = '';
    req.setEncoding('latin1');
    req.on('data', (chunk: string) => (text += chunk));
    req.on('end', () => {
      const header = JSON.parse(Buffer.from(text.slice(0, text.indexOf('.')), 'base64url').toString()) as {
        kid: string;
        jti: string;
      };
      const key = keys.get(header.kid);
      if (!key || used.has(header.jti)) {
        res.status(400).end();
        return;
      }
      let plain: Buffer;
      try {
        plain = openDir(key, text);
      } catch {
        res.status(400).end();
        return;
      }
      used.add(header.jti);
      req.body = JSON.parse(plain.toString()) as unknown;
      res.json = (value: unknown) => {
        const sealed = dirA256gcm(
          key,
          { alg: 'dir', enc: 'A256GCM', kid: header.kid, rid: header.jti, sts: res.statusCode },
          Buffer.from(JSON.stringify(value)),
        );
        res.setHeader('Content-Type', 'application/jose');
        return res.end(sealed);
      };
      next();
    });
  };
}

const floorChannel: HttpScenario = {
  kind: 'http',
  name: 'floor-channel-encrypted-1kb',
  group: 'channel',
  description:
    'lower bound: channel-encrypted-1kb with the least channel there can be (Map key lookup, Set replay check, one AES-GCM open and seal)',
  createApp: () => Promise.resolve(stackApp(false, true, leastChannel())),
  async prepare(baseUrl) {
    const user = await signedIn(baseUrl, true);
    const plain = Buffer.from(JSON.stringify(body));
    return singleUse(() => ({
      method: 'POST',
      path: '/api/echo',
      headers: { 'content-type': 'application/jose', cookie: user.cookies.join('; '), ...user.headers },
      body: dirA256gcm(
        floorChannelKey,
        {
          alg: 'dir',
          enc: 'A256GCM',
          kid: floorChannelId,
          typ: 'sw-req',
          htm: 'POST',
          htu: '/api/echo',
          jti: jti(),
        },
        plain,
      ),
    }));
  },
};

export const scenarios = [
  handshakes,
  bareDecrypt,
  floorHandshake,
  plaintext(true),
  encrypted(true),
  floorChannel,
  plaintext(false),
  encrypted(false),
];
