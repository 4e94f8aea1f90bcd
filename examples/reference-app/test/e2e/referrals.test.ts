import { manualClock, type ManualClock } from '@shieldwall/core';
import { startTestApp, type TestApp } from '../helpers/reference-app.js';
import { fastHashing, goodPassword, signUp } from './auth-helpers.js';

describe('reference app: GET /api/referrals', () => {
  let t: TestApp;
  let clock: ManualClock;
  let referrerId: string;
  let code: string;
  beforeEach(async () => {
    clock = manualClock(Date.now());
    t = await startTestApp(fastHashing, { clock });
    await signUp(t, 'ref@example.com');
    await t.agent
      .post('/api/auth/login')
      .send({ email: 'ref@example.com', password: goodPassword })
      .expect(200);
    const referrer = (await t.services.users.findByEmail('ref@example.com'))!;
    referrerId = referrer.id;
    code = referrer.referralCode;
  });
  afterEach(() => t.close());

  const refer = async (email: string, referredBy = referrerId) => {
    clock.advance(1000);
    return (await t.services.users.create({ email, emailVerified: true, referredBy }))!;
  };

  it('is 401 without a session and shows nobody', async () => {
    await refer('john@example.com');
    const res = await t.request.get('/api/referrals');
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe('unauthenticated');
    expect(res.text).not.toMatch(/john|example/);
  });

  it('lists only the caller referrals, oldest first, e-mails masked, nothing else about them', async () => {
    const john = await refer('john@example.com');
    await refer('a@mail.example.co.uk');
    await refer('жанна@пример.рф');
    await refer('someone.else@example.com', john.id); // referred by John, not by the caller
    const res = await t.agent.get('/api/referrals');
    expect(res.status).toBe(200);
    // Personal data: no shared or browser cache keeps it.
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.body).toEqual({
      code,
      link: `http://localhost:3000/signup?ref=${code}`,
      referrals: [
        { email: 'j***n@e***.com', joinedAt: expect.any(String) },
        { email: '***@m***.uk', joinedAt: expect.any(String) },
        { email: 'ж***а@п***.рф', joinedAt: expect.any(String) },
      ],
    });
    for (const hidden of ['john', 'example.com', 'someone', john.id, 'emailVerified'])
      expect(res.text).not.toContain(hidden);
  });

  it('is an empty list for a user who referred nobody', async () => {
    const other = (await t.services.users.create({ email: 'other@example.com', emailVerified: true }))!;
    await refer('john@example.com', other.id);
    const res = await t.agent.get('/api/referrals');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ code, link: expect.any(String), referrals: [] });
  });

  it('links a registration that names the code, and lists it', async () => {
    expect(code).toMatch(/^[0-9A-Z]{10}$/);
    await t.request
      .post('/api/auth/register')
      .send({ email: 'new.friend@example.org', password: goodPassword, referralCode: code })
      .expect(202);
    expect((await t.services.users.findByEmail('new.friend@example.org'))!.referredBy).toBe(referrerId);
    const res = await t.agent.get('/api/referrals').expect(200);
    expect(res.body.referrals).toEqual([{ email: 'n***d@e***.org', joinedAt: expect.any(String) }]);
  });

  it.each([
    ['an unknown code', 'ZZZZZZZZZZ', 400, 'referral_code_invalid'],
    ['a malformed code', 'not a code!', 400, 'invalid_request'],
    ['a code that is not a string', 12345, 400, 'invalid_request'],
  ])('refuses %s and creates no user', async (_what, referralCode, status, errorCode) => {
    const before = await t.services.users.count();
    const res = await t.request
      .post('/api/auth/register')
      .send({ email: 'new.friend@example.org', password: goodPassword, referralCode });
    expect(res.status).toBe(status);
    expect(res.body.error.code).toBe(errorCode);
    expect(res.text).not.toContain(String(referralCode));
    expect(await t.services.users.findByEmail('new.friend@example.org')).toBeUndefined();
    expect(await t.services.users.count()).toBe(before);
  });
});
