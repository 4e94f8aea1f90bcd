import { manualClock, memoryStore, type ManualClock, type Store } from '@shieldwall/core';
import { countSealedNotUnder } from '../../src/db/sealed.js';
import type { DatabaseTarget } from '../../src/db/open.js';
import { startTestApp, type TestApp } from '../helpers/reference-app.js';
import { pgliteTarget } from '../helpers/database.js';
import { totp } from './captcha-helpers.js';
import { cookieHeader, fastHashing, goodPassword, secret, setCookies, signUp } from './auth-helpers.js';
import { recoverPersonalSigner } from '../../src/wallets/keys.js';
import { openWebChannel, type ChannelForTests } from './key-exchange-helpers.js';

// Several instances of the app on one database and one store, as a deployment runs them: what one writes, the
// others read; and docs/guides/kek-rotation.md followed step by step, with a user whose MFA secret is sealed.

const kek = (id: string, fill: number) => `${id}:${Buffer.alloc(32, fill).toString('base64')}`;
const email = 'mia@example.com';

describe('reference app: instances on one database', () => {
  let target: DatabaseTarget;
  let store: Store;
  let clock: ManualClock;
  let jwtSecrets: string;
  const apps: TestApp[] = [];
  const channels: ChannelForTests[] = [];
  const start = async (walletKeks: string) => {
    const app = await startTestApp(
      { ...fastHashing, JWT_SECRETS: jwtSecrets, WALLET_KEKS: walletKeks },
      { databaseTarget: target, store, clock },
    );
    apps.push(app);
    return app;
  };
  const signIn = (t: TestApp) =>
    t.agent.post('/api/auth/login').send({ email, password: goodPassword }).expect(200);
  const waitFor = async (t: TestApp, message: string) => {
    for (let i = 0; i < 400 && !t.logger.lines.some((line) => line.message === message); i += 1)
      await new Promise((resolve) => setTimeout(resolve, 10));
    return t.logger.lines.find((line) => line.message === message);
  };

  beforeEach(async () => {
    target = await pgliteTarget();
    store = memoryStore();
    clock = manualClock(Date.now());
    jwtSecrets = `j1:${secret()}`;
  });
  afterEach(async () => {
    for (const channel of channels.splice(0)) await channel.close();
    for (const app of apps.splice(0)) await app.close();
    await (store as { close?: () => Promise<void> }).close?.();
  });

  it('registers on one instance, signs in on another, and enforces an MFA device bound on the first', async () => {
    const a = await start(kek('k1', 1));
    const b = await start(kek('k1', 1));
    await signUp(a, email);
    const me = await (await signIn(b), b.agent.get('/api/auth/me').expect(200));
    expect(me.body.user.email).toBe(email);

    await signIn(a);
    const { secret: totpSecret } = (
      await a.agent.post('/api/auth/mfa/enroll').send({ deviceId: 'phone-12345678' }).expect(200)
    ).body.mfa;
    await a.agent
      .post('/api/auth/mfa/verify')
      .send({ deviceId: 'phone-12345678', code: totp(totpSecret, clock.now()) })
      .expect(200);
    clock.advance(60_000);
    const hijack = await b.agent.post('/api/auth/mfa/enroll').send({ deviceId: 'attacker-0000001' });
    expect(hijack.status).toBe(403);
    expect(hijack.body.error.code).toBe('mfa_device_required');
    expect((await b.services.users.findByEmail(email))!.mfa?.deviceId).toBe('phone-12345678');
  });

  it('signs on instance B with a wallet created on A; another user, on either, can use it nowhere', async () => {
    const a = await start(kek('k1', 1));
    const b = await start(kek('k1', 1));
    /** A channel of `email`'s session on `t`, and that session's cookies. */
    const channelOf = async (t: TestApp, login: Awaited<ReturnType<typeof signUp>>) => {
      const cookies = cookieHeader(setCookies(login));
      const channel = await openWebChannel(t, cookies);
      channels.push(channel);
      return { channel, cookies };
    };
    const call = async (channel: ChannelForTests, path: string, body?: object) => {
      const res = await channel.client.fetch(path, body ? { method: 'POST', body } : { method: 'GET' });
      return { status: res.status, body: (await res.json()) as Record<string, unknown> };
    };
    const aliceOnA = await channelOf(a, await signUp(a, email));
    const wallet = (await call(aliceOnA.channel, '/api/wallets', {})).body.wallet as {
      id: string;
      address: string;
    };

    const aliceOnB = await channelOf(b, await signIn(b));
    expect((await call(aliceOnB.channel, '/api/wallets')).body).toEqual({ wallets: [wallet] });
    const signed = await call(aliceOnB.channel, `/api/wallets/${wallet.id}/sign`, { message: 'from b' });
    expect(signed.status).toBe(200);
    expect(recoverPersonalSigner(Buffer.from('from b'), signed.body.signature as string)).toBe(
      wallet.address,
    );

    const rows = () => a.services.database.db.selectFrom('wallets').selectAll().execute();
    const before = await rows();
    const signedLines = () =>
      [...a.logger.lines, ...b.logger.lines].filter((line) => line.message === 'wallet signed a message')
        .length;
    const signatures = signedLines();
    const bob = 'bob@example.com';
    for (const [t, login] of [
      [a, await signUp(a, bob)],
      [b, await b.request.post('/api/auth/login').send({ email: bob, password: goodPassword }).expect(200)],
    ] as const) {
      const bobs = await channelOf(t, login);
      expect(await call(bobs.channel, '/api/wallets')).toEqual({ status: 200, body: { wallets: [] } });
      const sign = await call(bobs.channel, `/api/wallets/${wallet.id}/sign`, { message: 'x' });
      expect(sign.status).toBe(404);
      expect(sign.body).toEqual({ error: { code: 'wallet_not_found', message: expect.any(String) } });
      // No route hands a key out, to its owner or anyone: an export answers 404 like any unknown path.
      for (const path of [`/api/wallets/${wallet.id}/export`, `/api/wallets/${wallet.id}`]) {
        const exported = await t.request.get(path).set('Cookie', bobs.cookies);
        expect(exported.status).toBe(404);
        expect(exported.body.error.code).toBe('not_found');
        const posted = await t.request.post(path).set('Cookie', bobs.cookies).send({});
        expect(posted.status).toBe(404);
      }
    }
    expect(await rows()).toEqual(before);
    expect(signedLines()).toBe(signatures);
  });

  it('follows the KEK rotation guide to the end with a bound MFA device: no unknown_key afterwards', async () => {
    // Before: one KEK; the user binds a device, so a TOTP secret is sealed under k1.
    const before = await start(kek('k1', 1));
    await signUp(before, email);
    await signIn(before);
    const { secret: totpSecret } = (
      await before.agent.post('/api/auth/mfa/enroll').send({ deviceId: 'phone-12345678' }).expect(200)
    ).body.mfa;
    await before.agent
      .post('/api/auth/mfa/verify')
      .send({ deviceId: 'phone-12345678', code: totp(totpSecret, clock.now()) })
      .expect(200);
    const db = before.services.database.db;
    expect(await countSealedNotUnder(db, 'k2')).toEqual({
      'wallets.sealed_key': 0,
      'mfa_bindings.sealed_secret': 1,
      'app_version_keys.sealed_private_key': 0,
    });

    // Step 2: every instance learns k2 without using it: the background job finds nothing to move.
    const taught = await start(`${kek('k1', 1)},${kek('k2', 2)}`);
    expect(await waitFor(taught, 'wallet kek rotation finished')).toMatchObject({ rewrapped: 0, failed: 0 });
    // Steps 3 and 4: k2 first; the app re-wraps every sealed column in the background.
    const current = await start(`${kek('k2', 2)},${kek('k1', 1)}`);
    expect(await waitFor(current, 'wallet kek rotation finished')).toMatchObject({
      rewrapped: 1,
      failed: 0,
      completed: true,
    });
    // Step 5: nothing is left under the old KEK, in any sealed column.
    expect(await countSealedNotUnder(db, 'k2')).toEqual({
      'wallets.sealed_key': 0,
      'mfa_bindings.sealed_secret': 0,
      'app_version_keys.sealed_private_key': 0,
    });
    // Step 6: k1 retired. The bound device still opens its secret: refused without it, admitted with it.
    const after = await start(kek('k2', 2));
    await signIn(after);
    clock.advance(60_000);
    const without = await after.agent.post('/api/auth/mfa/enroll').send({ deviceId: 'attacker-0000001' });
    expect(without.status).toBe(403);
    expect(without.body.error.code).toBe('mfa_device_required');
    const withDevice = await after.agent
      .post('/api/auth/mfa/enroll')
      .set('X-MFA-Device-Id', 'phone-12345678')
      .set('X-MFA-Code', totp(totpSecret, clock.now()))
      .send({ deviceId: 'phone-new-0000001' });
    expect(withDevice.status).toBe(200);
  });
});
