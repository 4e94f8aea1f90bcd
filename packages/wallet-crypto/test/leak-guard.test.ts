import { generateKeyPairSync, randomBytes } from 'node:crypto';
import express, { type Express } from 'express';
import request from 'supertest';
import type { Logger } from '@shieldwall/core';
import { leakGuard, Secret, type LeakGuardOptions } from '../src/index.js';

function recordingLogger(): Logger & { lines: Array<{ message: string } & Record<string, unknown>> } {
  const lines: Array<{ message: string } & Record<string, unknown>> = [];
  const push = (message: string, fields: Record<string, unknown> = {}) =>
    void lines.push({ message, ...fields });
  return { lines, info: push, warn: push, error: push };
}

function appSending(body: unknown, options: LeakGuardOptions = {}): Express {
  const app = express();
  app.get('/out', leakGuard(options), (_req, res) => {
    res.json(body);
  });
  return app;
}

const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'secp256k1' });
const pem = privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
const jwk = privateKey.export({ format: 'jwk' });
const hexKey = randomBytes(32).toString('hex');

describe('leakGuard', () => {
  it.each([
    ['a PEM private key anywhere', { wallet: { note: `here: ${pem}` } }, 'pem_private_key', 'wallet.note'],
    ['a PKCS#1 RSA PEM', ['-----BEGIN RSA PRIVATE KEY-----\nMII...'], 'pem_private_key', '0'],
    ['a private JWK', { key: jwk }, 'jwk_private_key', 'key'],
    ['64 hex in privateKey', { privateKey: hexKey }, 'raw_key', 'privateKey'],
    [
      '0x-hex in private_key',
      { wallets: [{ private_key: `0x${hexKey}` }] },
      'raw_key',
      'wallets.0.private_key',
    ],
    ['hex in seed', { seed: hexKey.toUpperCase() }, 'raw_key', 'seed'],
    ['base64 in secret', { clientSecret: randomBytes(32).toString('base64') }, 'raw_key', 'clientSecret'],
    ['a Buffer in signingKey', { signingKey: randomBytes(32) }, 'raw_key', 'signingKey'],
    ['a mnemonic', { mnemonic: 'abandon '.repeat(11) + 'about' }, 'mnemonic', 'mnemonic'],
  ])('blocks %s with 500 response_blocked and logs where, never what', async (_name, body, kind, field) => {
    const logger = recordingLogger();
    const res = await request(appSending(body, { logger })).get('/out');
    expect(res.status).toBe(500);
    expect(res.body).toEqual({ error: { code: 'response_blocked', message: expect.any(String) } });
    expect(logger.lines).toEqual([
      {
        message: 'response blocked: it carried a private-key-shaped value',
        code: 'response_blocked',
        kind,
        field,
        method: 'GET',
        path: '/out',
      },
    ]);
    const logged = JSON.stringify(logger.lines);
    expect(res.text).not.toContain(hexKey);
    expect(logged).not.toContain(hexKey);
    expect(logged).not.toContain('PRIVATE KEY');
    expect(logged).not.toContain(String(jwk.d));
  });

  it.each([
    ['an address and tx hash', { address: `0x${hexKey.slice(0, 40)}`, txHash: `0x${hexKey}`, hash: hexKey }],
    ['a public key', { publicKey: hexKey, jwk: { kty: 'EC', x: 'abc', y: 'def' } }],
    ['a PEM public key', { pem: '-----BEGIN PUBLIC KEY-----\nMFk...' }],
    ['a redacted Secret', { privateKey: new Secret(randomBytes(32)) }],
    ['a short secret-named value', { secretQuestion: 'first pet' }],
    ['plain data', { ok: true, n: 1, list: [1, 2, 3], nested: { a: null } }],
  ])('lets %s through unchanged', async (_name, body) => {
    const logger = recordingLogger();
    const res = await request(appSending(body, { logger })).get('/out');
    expect(res.status).toBe(200);
    expect(res.body).toEqual(JSON.parse(JSON.stringify(body)));
    expect(logger.lines).toEqual([]);
  });

  it('fails closed on bodies too big or too deep to scan', async () => {
    let deep: unknown = 'x';
    for (let i = 0; i < 10; i += 1) deep = { deep };
    const tooDeep = await request(appSending(deep, { maxDepth: 5 })).get('/out');
    expect(tooDeep.body.error.code).toBe('response_blocked');
    const tooBig = await request(
      appSending(
        Array.from({ length: 50 }, (_, i) => i),
        { maxNodes: 20 },
      ),
    ).get('/out');
    expect(tooBig.body.error.code).toBe('response_blocked');
  });

  it('takes a custom key-like field pattern', async () => {
    const res = await request(appSending({ walletMaterial: hexKey }, { keyLikeField: /material/ })).get(
      '/out',
    );
    expect(res.body.error.code).toBe('response_blocked');
  });

  it('rejects bad options and use without calling it', () => {
    expect(() => leakGuard({ maxNodes: 0 })).toThrow(/option `maxNodes`/);
    expect(() => leakGuard({ maxDepth: 1.5 })).toThrow(/option `maxDepth`/);
    expect(() => leakGuard({ keyLikeField: 'priv' as never })).toThrow(
      /option `keyLikeField` .*; pass a RegExp\./,
    );
    expect(() => leakGuard({ socket: {}, method: 'GET' } as never)).toThrow(/leakGuard\(\)/);
  });

  it('logs at most 200 characters of where the key was, and the path without its query', async () => {
    let body: unknown = { privateKey: hexKey };
    for (let i = 0; i < 30; i += 1) body = { [`level_${String(i).padStart(2, '0')}`]: body };
    const logger = recordingLogger();
    const app = express();
    app.get('/out', leakGuard({ logger }), (_req, res) => void res.json(body));
    expect((await request(app).get('/out?token=abc')).status).toBe(500);
    const field = logger.lines[0]!.field as string;
    expect(field).toHaveLength(200);
    expect(field.startsWith('level_29.level_28.')).toBe(true);
    expect(logger.lines[0]!.path).toBe('/out');
  });

  it('sends nothing of its own once the headers are out (a streaming handler), and still withholds the key', async () => {
    let thrown: unknown;
    const logger = recordingLogger();
    const app = express();
    app.get('/out', leakGuard({ logger }), (_req, res) => {
      res.status(200).type('application/json').flushHeaders();
      try {
        res.json({ privateKey: hexKey });
      } catch (error) {
        thrown = error;
      }
      res.end();
    });
    const res = await request(app).get('/out');
    expect(thrown).toBeUndefined();
    expect(res.text).not.toContain(hexKey);
    expect(logger.lines).toHaveLength(1);
  });
});
