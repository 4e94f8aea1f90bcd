import { randomUUID } from 'node:crypto';
import { envelopeSealer } from '@shieldwall/wallet-crypto';
import { walletKeyContext } from '../../src/features/wallets.js';
import { memoryWallets } from '../../src/wallets/repository.js';
import { recoverPersonalSigner } from '../../src/wallets/keys.js';
import { startTestApp, type TestApp } from '../helpers/reference-app.js';
import { cookieHeader, fastHashing, recordingStore, setCookies, signUp } from './auth-helpers.js';
import { openWebChannel, type ChannelForTests } from './key-exchange-helpers.js';

// The wallet routes through the whole reference app: real sign-in (jwt-cookies), the real encrypted channel
// (@shieldwall/key-exchange and its Node client over HTTP), the real sealer under WALLET_KEKS.

type Store = ReturnType<typeof recordingStore>;
interface WalletView {
  id: string;
  address: string;
  createdAt: string;
}
/** Any answer of the wallet routes (each has some of these fields). */
interface Answer {
  wallet: WalletView;
  wallets: WalletView[];
  address: string;
  signature: string;
  standard: string;
  error: { code: string };
}

describe('reference app: /api/wallets over the encrypted channel', () => {
  let t: TestApp;
  let store: Store;
  let alice: ChannelForTests;
  let aliceCookies: string;
  const channels: ChannelForTests[] = [];

  async function signedInChannel(email: string): Promise<{ channel: ChannelForTests; cookies: string }> {
    const login = await signUp(t, email);
    const cookies = cookieHeader(setCookies(login));
    const channel = await openWebChannel(t, cookies);
    channels.push(channel);
    return { channel, cookies };
  }

  const call = async (channel: ChannelForTests, path: string, body?: unknown) => {
    const res = await channel.client.fetch(
      path,
      body === undefined ? { method: 'GET' } : { method: 'POST', body },
    );
    return { status: res.status, body: (await res.json()) as Answer };
  };

  beforeEach(async () => {
    store = recordingStore();
    t = await startTestApp(fastHashing, { store });
    ({ channel: alice, cookies: aliceCookies } = await signedInChannel('alice@example.com'));
  });
  afterEach(async () => {
    for (const channel of channels.splice(0)) await channel.close();
    await t.close();
  });

  it('creates, lists and signs; the signature recovers to the wallet address', async () => {
    const created = await call(alice, '/api/wallets', {});
    expect(created.status).toBe(201);
    const wallet = created.body.wallet;
    expect(Object.keys(wallet).sort()).toEqual(['address', 'createdAt', 'id']);

    const list = await call(alice, '/api/wallets');
    expect(list).toEqual({ status: 200, body: { wallets: [wallet] } });

    const signed = await call(alice, `/api/wallets/${wallet.id}/sign`, { message: 'hello' });
    expect(signed.status).toBe(200);
    expect(signed.body).toMatchObject({ address: wallet.address, standard: 'eip-191' });
    expect(recoverPersonalSigner(Buffer.from('hello'), signed.body.signature)).toBe(wallet.address);
  });

  it('refuses plaintext requests from a signed-in user: creates, lists and signs nothing', async () => {
    const aliceId = (await t.services.users.findByEmail('alice@example.com'))!.id;
    const plain = await t.request.post('/api/wallets').set('Cookie', aliceCookies).send({});
    expect(plain.status).toBe(400);
    expect(plain.body.error.code).toBe('encryption_required');
    expect(await t.services.wallets.listByUser(aliceId)).toEqual([]);

    const wallet = (await call(alice, '/api/wallets', {})).body.wallet;
    const listed = await t.request.get('/api/wallets').set('Cookie', aliceCookies);
    expect(listed.status).toBe(400);
    expect(listed.body.error.code).toBe('encryption_required');
    expect(listed.text).not.toContain(wallet.address);

    const sign = await t.request
      .post(`/api/wallets/${wallet.id}/sign`)
      .set('Cookie', aliceCookies)
      .send({ message: 'x' });
    expect(sign.status).toBe(400);
    expect(sign.body.error.code).toBe('encryption_required');
    expect(sign.text).not.toContain('signature');
    expect(t.logger.lines.filter((line) => line.message === 'wallet signed a message')).toEqual([]);
    expect(await t.services.wallets.listByUser(aliceId)).toHaveLength(1);
  });

  it('answers 404 wallet_not_found for another user wallet, over the other user own channel', async () => {
    const { body } = await call(alice, '/api/wallets', {});
    const { channel: bob } = await signedInChannel('bob@example.com');
    for (const id of [body.wallet.id, randomUUID()]) {
      const res = await call(bob, `/api/wallets/${id}/sign`, { message: 'x' });
      expect(res.status).toBe(404);
      expect(res.body.error.code).toBe('wallet_not_found');
    }
    expect((await call(bob, '/api/wallets')).body).toEqual({ wallets: [] });
  });

  it('is 401 without a session on every route, creating nothing', async () => {
    for (const [method, path] of [
      ['POST', '/api/wallets'],
      ['GET', '/api/wallets'],
      ['POST', `/api/wallets/${randomUUID()}/sign`],
    ] as const) {
      const res = await (method === 'GET'
        ? t.request.get(path)
        : t.request.post(path).send({ message: 'x' }));
      expect(res.status).toBe(401);
      expect(res.body.error.code).toBe('unauthenticated');
    }
    const all = [];
    for await (const row of t.services.wallets.scanSealedKeys(undefined)) all.push(row);
    expect(all).toEqual([]);
  });

  it('keeps no plaintext key in what it stores, logs or returns', async () => {
    const responses: string[] = [];
    const record = async (path: string, body?: unknown) => {
      const res = await call(alice, path, body);
      responses.push(JSON.stringify(res.body));
      return res;
    };
    const { channel: bob } = await signedInChannel('bob@example.com');
    const a = (await record('/api/wallets', {})).body.wallet;
    const b = (await call(bob, '/api/wallets', {})).body.wallet;
    await record('/api/wallets');
    await record(`/api/wallets/${a.id}/sign`, { message: 'm' });
    await record(`/api/wallets/${a.id}/sign`, { messageHex: '0x00ff' });
    responses.push(JSON.stringify((await call(bob, `/api/wallets/${b.id}/sign`, { message: 'm' })).body));

    const sealer = envelopeSealer({ keks: t.services.config.walletKeks });
    const rows = [];
    for await (const row of t.services.wallets.scanSealedKeys(undefined)) rows.push(row);
    expect(rows).toHaveLength(2);
    const stored = JSON.stringify(await Promise.all(rows.map((row) => t.services.wallets.find(row.id))));
    const haystack = [
      stored,
      JSON.stringify(t.logger.lines),
      JSON.stringify(store.changes),
      responses.join('\n'),
    ]
      .join('\n')
      .toLowerCase();
    for (const row of rows) {
      const wallet = (await t.services.wallets.find(row.id))!;
      const key = Buffer.from(await sealer.open(row.sealed, walletKeyContext(wallet.userId, wallet.id)));
      for (const form of [key.toString('hex'), key.toString('base64'), key.toString('base64url')]) {
        expect(haystack).not.toContain(form.toLowerCase().slice(0, 32));
      }
      key.fill(0);
    }
    expect(stored).toMatch(/"sealedKey":"swe1\./);
  });
});

describe('reference app: the leak guard behind the encrypted channel', () => {
  it('withholds an answer that a bug filled with a private key, before it is encrypted, and logs where', async () => {
    const inner = memoryWallets();
    const body = 'MHQCAQEEIBk2jJ0sVh2X9QleakedKeyMaterial';
    const pem = `-----BEGIN EC PRIVATE KEY-----\n${body}\n-----END EC PRIVATE KEY-----`;
    // A repository bug: the address column holds a private key.
    const leaky = {
      ...inner,
      listByUser: async (userId: string) =>
        (await inner.listByUser(userId)).map((wallet) => ({ ...wallet, address: pem })),
    };
    const t = await startTestApp(fastHashing, { wallets: leaky });
    const login = await signUp(t, 'carol@example.com');
    const channel = await openWebChannel(t, cookieHeader(setCookies(login)));
    try {
      expect((await channel.client.fetch('/api/wallets', { method: 'POST', body: {} })).status).toBe(201);
      const res = await channel.client.fetch('/api/wallets', { method: 'GET' });
      const text = await res.text();
      expect(res.status).toBe(500);
      expect(JSON.parse(text)).toEqual({ error: { code: 'response_blocked', message: expect.any(String) } });
      expect(text).not.toContain(body);
      expect(t.logger.lines).toContainEqual(
        expect.objectContaining({
          code: 'response_blocked',
          field: 'wallets.0.address',
          kind: 'pem_private_key',
        }),
      );
      expect(JSON.stringify(t.logger.lines)).not.toContain(body);
    } finally {
      await channel.close();
      await t.close();
    }
  });
});
