import express, { type Express } from 'express';
import request from 'supertest';
import { errorHandler, memoryStore, notFoundHandler, type Store } from '@shieldwall/core';
import { envelopeSealer, parseEnvelope } from '@shieldwall/wallet-crypto';
import { loadConfig, memoryLogger, type MemoryLogger } from '@shieldwall/reference-app';
import { placeholderGuards } from '../../src/guards.js';
import { pgliteTarget } from '../helpers/database.js';
import { createServices, type Services } from '../../src/services.js';
import { mountWallets, walletKeyContext } from '../../src/features/wallets.js';
import { memoryWallets } from '../../src/wallets/repository.js';
import { memoryUsers, type UserRepository } from '../../src/users.js';
import { checksumAddress, personalMessageDigest, recoverPersonalSigner } from '../../src/wallets/keys.js';

// The wallet feature with the real services, sealer and leak guard, and two stand-in guards in place of the ones
// other features own: requireAuth reads the user from a header, requireChannel lets plaintext through. The full
// path through the real guards is in wallets.test.ts.

type Wallets = ReturnType<typeof memoryWallets>;

function recordingStore(): Store & { written: string[] } {
  const inner = memoryStore();
  const written: string[] = [];
  return {
    ...inner,
    written,
    async set(key, value, ttlMs) {
      written.push(key, value);
      return inner.set(key, value, ttlMs);
    },
    async setIfAbsent(key, value, ttlMs) {
      written.push(key, value);
      return inner.setIfAbsent(key, value, ttlMs);
    },
  };
}

interface Harness {
  app: Express;
  services: Services;
  logger: MemoryLogger;
  wallets: Wallets;
  store: ReturnType<typeof recordingStore>;
  users: { alice: string; bob: string };
  responses: string[];
  close(): Promise<void>;
}

/** Several instances of the app over one database (wallets and users), each with its own WALLET_KEKS. */
async function harness(
  walletKeks: string,
  shared: { wallets: Wallets; users: UserRepository } = { wallets: memoryWallets(), users: memoryUsers() },
): Promise<Harness> {
  const config = loadConfig({ NODE_ENV: 'test', WALLET_KEKS: walletKeks }, { persistDevSecrets: false });
  const logger = memoryLogger();
  const store = recordingStore();
  const services = await createServices(config, {
    logger,
    store,
    ...shared,
    databaseTarget: await pgliteTarget(),
  });
  const user = async (email: string) =>
    (await services.users.findByEmail(email)) ??
    (await services.users.create({ email, emailVerified: true }))!;
  const alice = await user('alice@example.com');
  const bob = await user('bob@example.com');
  const guards = placeholderGuards();
  guards.requireAuth = (req, res, next) => {
    const id = req.get('x-test-user');
    if (!id) return void res.status(401).json({ error: { code: 'unauthenticated', message: 'Sign in.' } });
    void services.users.findById(id).then((user) => {
      res.locals.user = user;
      next();
    }, next);
  };
  guards.requireChannel = (_req, _res, next) => next();
  const app = express();
  const responses: string[] = [];
  app.use((_req, res, next) => {
    const end = res.end.bind(res) as (chunk?: unknown, ...rest: unknown[]) => typeof res;
    res.end = ((chunk?: unknown, ...rest: unknown[]) => {
      if (typeof chunk === 'string' || Buffer.isBuffer(chunk)) responses.push(chunk.toString());
      return end(chunk, ...rest);
    }) as typeof res.end;
    next();
  });
  app.use(express.json());
  const closeFeature = await mountWallets(app, services, guards);
  app.use(notFoundHandler());
  app.use(errorHandler({ logger }));
  return {
    app,
    services,
    logger,
    wallets: shared.wallets,
    store,
    users: { alice: alice.id, bob: bob.id },
    responses,
    async close() {
      if (closeFeature) await closeFeature();
      await services.close();
    },
  };
}

const kek = (id: string, fill: number) => `${id}:${Buffer.alloc(32, fill).toString('base64')}`;

/** Waits (without asserting any timing) until a background task has done something observable. */
async function until(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !condition(); i += 1) await new Promise((resolve) => setTimeout(resolve, 10));
  expect(condition()).toBe(true);
}

async function createWallet(h: Harness, user: string) {
  const res = await request(h.app).post('/api/wallets').set('x-test-user', user).send({});
  expect(res.status).toBe(201);
  return res.body.wallet as { id: string; address: string; createdAt: string };
}

describe('wallets feature', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await harness(kek('k1', 1));
  });
  afterEach(async () => {
    await h.close();
  });

  it('creates a wallet: 201 with id and EIP-55 address, stores only the sealed key bound to user and wallet', async () => {
    const wallet = await createWallet(h, h.users.alice);
    expect(Object.keys(wallet).sort()).toEqual(['address', 'createdAt', 'id']);
    expect(wallet.address).toMatch(/^0x[0-9a-fA-F]{40}$/);
    expect(checksumAddress(wallet.address.slice(2).toLowerCase())).toBe(wallet.address);
    const [stored] = h.wallets.all();
    expect(stored).toMatchObject({ id: wallet.id, userId: h.users.alice, address: wallet.address });
    expect(Object.keys(stored!).sort()).toEqual(['address', 'createdAt', 'id', 'sealedKey', 'userId']);
    expect(parseEnvelope(stored!.sealedKey).kekId).toBe('k1');
    expect(h.logger.lines).toContainEqual(
      expect.objectContaining({ message: 'wallet created', walletId: wallet.id }),
    );
  });

  it('lists only the caller wallets, addresses and never keys', async () => {
    const a1 = await createWallet(h, h.users.alice);
    const a2 = await createWallet(h, h.users.alice);
    await createWallet(h, h.users.bob);
    const res = await request(h.app).get('/api/wallets').set('x-test-user', h.users.alice);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ wallets: [a1, a2] });
  });

  it('signs an EIP-191 personal message that recovers to the wallet address', async () => {
    const wallet = await createWallet(h, h.users.alice);
    const cases: Array<[Record<string, string>, Buffer]> = [
      [{ message: 'Sign in to Intotes, nonce 42' }, Buffer.from('Sign in to Intotes, nonce 42')],
      [{ messageHex: '0xdeadbeef' }, Buffer.from('deadbeef', 'hex')],
    ];
    for (const [body, bytes] of cases) {
      const res = await request(h.app)
        .post(`/api/wallets/${wallet.id}/sign`)
        .set('x-test-user', h.users.alice)
        .send(body);
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ address: wallet.address, standard: 'eip-191' });
      expect(res.body.digest).toBe(`0x${Buffer.from(personalMessageDigest(bytes)).toString('hex')}`);
      expect(res.body.signature).toMatch(/^0x[0-9a-f]{128}(1b|1c)$/);
      expect(recoverPersonalSigner(bytes, res.body.signature)).toBe(wallet.address);
    }
  });

  it('answers 404 wallet_not_found for another user wallet and for unknown ids, and signs nothing', async () => {
    const wallet = await createWallet(h, h.users.alice);
    for (const id of [wallet.id, '00000000-0000-4000-8000-000000000000', 'not-a-uuid']) {
      const res = await request(h.app)
        .post(`/api/wallets/${id}/sign`)
        .set('x-test-user', h.users.bob)
        .send({ message: 'hi' });
      expect(res.status).toBe(404);
      expect(res.body.error.code).toBe('wallet_not_found');
    }
    expect(h.logger.lines.filter((line) => line.message === 'wallet signed a message')).toEqual([]);
  });

  it.each([
    ['no message', {}],
    ['an empty message', { message: '' }],
    ['a number', { message: 42 }],
    ['both fields', { message: 'a', messageHex: '0x00' }],
    ['hex without 0x', { messageHex: 'deadbeef' }],
    ['odd hex', { messageHex: '0xabc' }],
    ['16 KiB + 1', { message: 'x'.repeat(16 * 1024 + 1) }],
  ])('refuses %s with 400 invalid_message and signs nothing', async (_name, body) => {
    const wallet = await createWallet(h, h.users.alice);
    const res = await request(h.app)
      .post(`/api/wallets/${wallet.id}/sign`)
      .set('x-test-user', h.users.alice)
      .send(body);
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('invalid_message');
    expect(h.logger.lines.filter((line) => line.message === 'wallet signed a message')).toEqual([]);
  });

  it('does not sign with a sealed key copied onto another user wallet row', async () => {
    const alice = await createWallet(h, h.users.alice);
    const bob = await createWallet(h, h.users.bob);
    const [aliceRow, bobRow] = [
      h.wallets.all().find((w) => w.id === alice.id)!,
      h.wallets.all().find((w) => w.id === bob.id)!,
    ];
    expect(await h.wallets.replaceSealedKey(bob.id, bobRow.sealedKey, aliceRow.sealedKey)).toBe(true);
    const res = await request(h.app)
      .post(`/api/wallets/${bob.id}/sign`)
      .set('x-test-user', h.users.bob)
      .send({ message: 'x' });
    expect(res.status).toBe(500);
    expect(res.body.error.code).toBe('decryption_failed');
    expect(JSON.stringify(res.body)).not.toContain('signature');
  });

  it('stops at 20 wallets per user with 409 wallet_limit_reached and creates nothing more', async () => {
    for (let i = 0; i < 20; i += 1) await createWallet(h, h.users.alice);
    const res = await request(h.app).post('/api/wallets').set('x-test-user', h.users.alice).send({});
    expect(res.status).toBe(409);
    expect(res.body.error.code).toBe('wallet_limit_reached');
    expect(h.wallets.all()).toHaveLength(20);
  });

  it('keeps no plaintext key in what it stores, logs or returns', async () => {
    const sealer = envelopeSealer({ keks: h.services.config.walletKeks });
    const created = [await createWallet(h, h.users.alice), await createWallet(h, h.users.bob)];
    for (const [wallet, user] of [
      [created[0]!, h.users.alice],
      [created[1]!, h.users.bob],
    ] as const) {
      await request(h.app).get('/api/wallets').set('x-test-user', user);
      await request(h.app)
        .post(`/api/wallets/${wallet.id}/sign`)
        .set('x-test-user', user)
        .send({ message: 'm' });
    }
    const haystack = [
      JSON.stringify(h.wallets.all()),
      JSON.stringify(h.logger.lines),
      h.store.written.join('\n'),
      h.responses.join('\n'),
    ].join('\n');
    expect(h.responses.length).toBeGreaterThanOrEqual(6);
    for (const row of h.wallets.all()) {
      const key = Buffer.from(await sealer.open(row.sealedKey, walletKeyContext(row.userId, row.id)));
      expect(key).toHaveLength(32);
      for (const form of [
        key.toString('hex'),
        key.toString('base64'),
        key.toString('base64url'),
        [...key].join(','),
      ]) {
        expect(haystack.toLowerCase()).not.toContain(form.toLowerCase().slice(0, 40));
      }
    }
  });

  it('withholds a response that a bug filled with key material (leak guard), and logs where without the value', async () => {
    const inner = memoryWallets();
    const pem = '-----BEGIN EC PRIVATE KEY-----\nMHQCAQEEIBk2jJ0sVh2X9Q==\n-----END EC PRIVATE KEY-----';
    const leaky: Wallets = {
      ...inner,
      listByUser: async (userId) =>
        (await inner.listByUser(userId)).map((wallet) => ({ ...wallet, address: pem })),
    };
    const buggy = await harness(kek('k1', 1), { wallets: leaky, users: memoryUsers() });
    try {
      await createWallet(buggy, buggy.users.alice);
      const res = await request(buggy.app).get('/api/wallets').set('x-test-user', buggy.users.alice);
      expect(res.status).toBe(500);
      expect(res.body.error.code).toBe('response_blocked');
      expect(res.text).not.toContain('PRIVATE KEY');
      expect(buggy.logger.lines).toContainEqual(
        expect.objectContaining({
          level: 'error',
          code: 'response_blocked',
          field: 'wallets.0.address',
          path: '/api/wallets',
        }),
      );
      expect(JSON.stringify(buggy.logger.lines)).not.toContain('MHQCAQEEIBk2jJ0sVh2X9Q');
    } finally {
      await buggy.close();
    }
  });

  it('re-wraps every key in the background once a new KEK is put first, and keeps signing', async () => {
    const wallet = await createWallet(h, h.users.alice);
    await createWallet(h, h.users.bob);
    const shared = { wallets: h.wallets, users: h.services.users };
    const rotated = await harness(`${kek('k2', 2)},${kek('k1', 1)}`, shared);
    const retired = await harness(kek('k2', 2), shared);
    const stale = await harness(kek('k1', 1), shared);
    const sign = (on: Harness) =>
      request(on.app)
        .post(`/api/wallets/${wallet.id}/sign`)
        .set('x-test-user', h.users.alice)
        .send({ message: 'x' });
    try {
      await until(() => rotated.logger.lines.some((line) => line.message === 'wallet kek rotation finished'));
      expect(rotated.logger.lines).toContainEqual(
        expect.objectContaining({
          message: 'wallet kek rotation finished',
          to: 'k2',
          rewrapped: 2,
          failed: 0,
          completed: true,
        }),
      );
      expect(h.wallets.all().map((row) => parseEnvelope(row.sealedKey).kekId)).toEqual(['k2', 'k2']);
      // A one-KEK ring has nothing to rotate.
      expect(h.logger.lines.filter((line) => String(line.message).startsWith('wallet kek rotation'))).toEqual(
        [],
      );

      expect((await sign(rotated)).status).toBe(200);
      const signed = await sign(retired);
      expect(signed.status).toBe(200);
      expect(recoverPersonalSigner(Buffer.from('x'), signed.body.signature)).toBe(wallet.address);
      // An instance still on the old ring alone cannot open re-wrapped keys: it fails closed.
      const old = await sign(stale);
      expect(old.status).toBe(500);
      expect(old.body.error.code).toBe('unknown_key');
    } finally {
      await Promise.all([rotated.close(), retired.close(), stale.close()]);
    }
  });
});
