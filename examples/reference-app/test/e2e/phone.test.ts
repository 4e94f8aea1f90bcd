import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { manualClock, type ManualClock } from '@shieldwall/core';
import { startTestApp, type TestApp } from '../helpers/reference-app.js';
import { fakeTelegram } from '../../../../packages/oauth-providers/test/fake-providers.js';
import type { FakeOidcProvider } from '../../../../packages/oauth-providers/test/oidc-provider.js';
import { codeFrom } from './captcha-helpers.js';
import { fastHashing, goodPassword, setCookies, signUp } from './auth-helpers.js';

// Issue 18: a verified phone number on the account, from an SMS code a signed-in user checked or from Telegram's
// `phone_number` claim; one account per number (409 phone_in_use, nothing changed); masked in /me and the login
// answer; a signed-in user is not sent a code for the number already verified on the account.

const phone = '+447700900123';
const telegramClient = { clientId: '123456789', clientSecret: 'telegram-secret' };
const telegramEnv = (url: string) => ({
  OAUTH_TELEGRAM_CLIENT_ID: telegramClient.clientId,
  OAUTH_TELEGRAM_CLIENT_SECRET: telegramClient.clientSecret,
  OAUTH_TELEGRAM_BASE_URL: url,
});

const local = (url: string): string => new URL(url).pathname + new URL(url).search;

describe('reference app: the verified phone number on the account', () => {
  let t: TestApp;
  let clock: ManualClock;
  let telegram: FakeOidcProvider;

  beforeEach(async () => {
    telegram = await fakeTelegram(telegramClient);
    clock = manualClock(Date.now());
    t = await startTestApp({ ...fastHashing, ...telegramEnv(telegram.url) }, { clock });
  });
  afterEach(async () => {
    await t.close();
    await telegram.close();
  });

  /** A signed-up user, signed in on a browser of its own. */
  async function signedIn(email: string): Promise<ReturnType<typeof request.agent>> {
    await signUp(t, email);
    const agent = request.agent(t.app);
    await agent.post('/api/auth/login').send({ email, password: goodPassword }).expect(200);
    return agent;
  }

  /** Asks for a code for `number` in `agent`'s session and answers it. */
  async function verifyBySms(agent: ReturnType<typeof request.agent>, number = phone) {
    const asked = await agent.post('/api/otp/sms').send({ phone: number }).expect(202);
    return agent
      .post('/api/otp/sms/verify')
      .send({ phone: number, id: asked.body.otp.id, code: codeFrom(t, number) });
  }

  const smsTo = (number: string): number => t.services.outbox.messages.filter((m) => m.to === number).length;

  /** Every user row's phone columns: what a refusal must leave as it was. */
  const phoneRows = () =>
    t.services.database.db
      .selectFrom('users')
      .select(['id', 'phone', 'phone_verified_at'])
      .orderBy('id')
      .execute();

  async function telegramSignIn(agent = t.agent) {
    const start = await agent.get('/api/auth/oauth/telegram').expect(302);
    return agent.get(local(await telegram.approve(start.headers.location as string)));
  }

  it('records the number a signed-in user verifies by SMS, masked in /me and the login answer', async () => {
    const agent = await signedIn('ada@example.com');
    const res = await verifyBySms(agent);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ phone: { number: phone, verified: true, verifiedAt: clock.now() } });

    const user = await t.services.users.findByEmail('ada@example.com');
    expect(user!.phone).toEqual({ number: phone, verifiedAt: clock.now() });
    const me = await agent.get('/api/auth/me').expect(200);
    expect(me.body.user.phone).toBe('+44•••••••23');
    expect(me.text).not.toContain('900123');
    const login = await t.request
      .post('/api/auth/login')
      .send({ email: 'ada@example.com', password: goodPassword })
      .expect(200);
    expect(login.body.user.phone).toBe('+44•••••••23');
  });

  it('sends no code for the number already verified on the account, and one for any other', async () => {
    const agent = await signedIn('ada@example.com');
    expect((await verifyBySms(agent)).status).toBe(200);
    const verifiedAt = clock.now();
    clock.advance(60_000);
    const sent = smsTo(phone);

    const known = await agent.post('/api/otp/sms').send({ phone }).expect(200);
    expect(known.headers['cache-control']).toBe('no-store');
    expect(known.body).toEqual({ phone: { number: phone, verified: true, verifiedAt } });
    expect(smsTo(phone)).toBe(sent);

    // Another number, or the same number for somebody who is not signed in to this account: a code, as before
    // (past the smsOtp limiter's 15-minute window, which counted the three requests so far).
    clock.advance(15 * 60_000);
    await agent.post('/api/otp/sms').send({ phone: '+447700900456' }).expect(202);
    await request.agent(t.app).post('/api/otp/sms').send({ phone }).expect(202);
    expect(smsTo(phone)).toBe(sent + 1);
  });

  it('records nothing for a code checked without a session, and replaces the number a user verifies next', async () => {
    const anonymous = request.agent(t.app);
    expect((await verifyBySms(anonymous)).status).toBe(200);
    expect(await t.services.users.findByPhone(phone)).toBeUndefined();

    const agent = await signedIn('ada@example.com');
    expect((await verifyBySms(agent)).status).toBe(200);
    expect((await verifyBySms(agent, '+15551230000')).status).toBe(200);
    const user = await t.services.users.findByEmail('ada@example.com');
    expect(user!.phone!.number).toBe('+15551230000');
    expect(await t.services.users.findByPhone(phone)).toBeUndefined();
  });

  it('refuses a number verified on another account: 409 phone_in_use, no row changed', async () => {
    const ada = await signedIn('ada@example.com');
    expect((await verifyBySms(ada)).status).toBe(200);
    const bob = await signedIn('bob@example.com');
    const before = await phoneRows();

    const res = await verifyBySms(bob);
    expect(res.status).toBe(409);
    expect(res.body).toEqual({ error: { code: 'phone_in_use', message: expect.any(String) } });
    expect(await phoneRows()).toEqual(before);
    expect((await bob.get('/api/auth/me').expect(200)).body.user.phone).toBeNull();
  });

  it('records the phone_number of a Telegram sign-in, normalised to E.164', async () => {
    telegram.claims = { phone_number: '44 7700 900123' };
    const res = await telegramSignIn();
    expect(res.status).toBe(302);
    const me = await t.agent.get('/api/auth/me').expect(200);
    expect(me.body.user.phone).toBe('+44•••••••23');
    const user = await t.services.users.findById(me.body.user.id);
    expect(user!.phone).toEqual({ number: phone, verifiedAt: clock.now() });
    // Telegram vouched for it: the SMS route sends this account no code for it.
    await t.agent.post('/api/otp/sms').send({ phone }).expect(200);
    expect(smsTo(phone)).toBe(0);

    // A later sign-in with a new number on the Telegram account moves the account to it.
    telegram.claims = { phone_number: '+15551230000' };
    expect((await telegramSignIn(request.agent(t.app))).status).toBe(302);
    expect((await t.services.users.findById(user!.id))!.phone!.number).toBe('+15551230000');
    expect(await t.services.users.count()).toBe(1);
  });

  it('refuses a Telegram sign-in whose number another account holds: 409 phone_in_use, nothing written', async () => {
    const ada = await signedIn('ada@example.com');
    expect((await verifyBySms(ada, '+15551234567')).status).toBe(200);
    const before = await phoneRows();

    const res = await telegramSignIn();
    expect(res.status).toBe(409);
    expect(res.body.error.code).toBe('phone_in_use');
    expect(Object.keys(setCookies(res)).some((name) => /(^|-)(at|rt)$/.test(name))).toBe(false);
    expect(await phoneRows()).toEqual(before);
    expect(await t.services.users.findByIdentity('telegram:31337')).toBeUndefined();
    expect(await t.services.users.count()).toBe(1);
  });

  it('keeps the number across a restart on the same PGlite directory', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sw-phone-'));
    try {
      const first = await startTestApp(fastHashing, { databaseTarget: { kind: 'pglite', dir } });
      await signUp(first, 'ada@example.com');
      const agent = request.agent(first.app);
      await agent.post('/api/auth/login').send({ email: 'ada@example.com', password: goodPassword });
      const asked = await agent.post('/api/otp/sms').send({ phone }).expect(202);
      await agent
        .post('/api/otp/sms/verify')
        .send({ phone, id: asked.body.otp.id, code: codeFrom(first, phone) })
        .expect(200);
      await first.close();

      const second = await startTestApp(fastHashing, { databaseTarget: { kind: 'pglite', dir } });
      try {
        const login = await second.request
          .post('/api/auth/login')
          .send({ email: 'ada@example.com', password: goodPassword })
          .expect(200);
        expect(login.body.user.phone).toBe('+44•••••••23');
        expect((await second.services.users.findByPhone(phone))!.email).toBe('ada@example.com');
      } finally {
        await second.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
