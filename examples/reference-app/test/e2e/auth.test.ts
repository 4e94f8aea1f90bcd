import { manualClock } from '@shieldwall/core';
import { startTestApp, type TestApp } from '../helpers/reference-app.js';
import {
  cookieHeader,
  decode,
  fastHashing,
  goodPassword,
  setCookies,
  signUp,
  tokenFromMail,
} from './auth-helpers.js';

describe('reference app: the life of a session', () => {
  let t: TestApp;
  afterEach(() => t.close());

  it('registers, verifies, signs in, expires, refreshes, signs out', async () => {
    const clock = manualClock(Date.now());
    t = await startTestApp(fastHashing, { clock });
    const email = 'ada@example.com';

    const registered = await t.request
      .post('/api/auth/register')
      .send({ email: 'Ada@Example.com', password: goodPassword });
    expect(registered.status).toBe(202);
    expect(registered.body).toEqual({ status: 'verification_sent' });
    expect(registered.headers['set-cookie']).toBeUndefined();
    const user = await t.services.users.findByEmail(email);
    expect(user).toMatchObject({ email, emailVerified: false });
    expect(user!.passwordHash).toMatch(/^\$2b\$04\$/);
    expect(user!.passwordHash).not.toContain(goodPassword);

    await t.agent
      .post('/api/auth/verify-email')
      .send({ token: await tokenFromMail(t, email) })
      .expect(204);
    const login = await t.agent.post('/api/auth/login').send({ email, password: goodPassword }).expect(200);
    expect(login.body.user).toEqual({
      id: user!.id,
      email,
      emailVerified: true,
      createdAt: user!.createdAt,
      phone: null,
    });
    expect(Object.keys(setCookies(login)).sort()).toEqual(['at', 'rt']);

    const me = await t.agent.get('/api/auth/me').expect(200);
    expect(me.body.user).toEqual({ ...login.body.user, mfaEnabled: false });
    expect(me.body.user.passwordHash).toBeUndefined();

    clock.advance(21 * 60_000);
    const expired = await t.agent.get('/api/auth/me').expect(401);
    expect(expired.body.error.code).toBe('token_expired');

    const refreshed = await t.agent.post('/api/auth/refresh').expect(204);
    await t.agent.get('/api/auth/me').expect(200);
    const accessBeforeLogout = setCookies(refreshed).at!;

    const logout = await t.agent.post('/api/auth/logout').expect(204);
    expect(setCookies(logout)).toEqual({ at: '', rt: '' });
    const after = await t.agent.get('/api/auth/me').expect(401);
    expect(after.body.error.code).toBe('unauthenticated');
    // the refresh token of that sign-in is revoked, not just forgotten by the browser
    const old = setCookies(login);
    const replay = await t.request.post('/api/auth/refresh').set('Cookie', `rt=${old.rt}`).expect(401);
    expect(replay.body.error.code).toBe('session_revoked');
    // and so is its access token, kept by a thief, though it has 20 minutes to run
    const stolen = await t.request.get('/api/auth/me').set('Cookie', `at=${accessBeforeLogout}`).expect(401);
    expect(stolen.body.error.code).toBe('session_revoked');
  });

  it('puts the endpoint rate limits on register, login and password reset', async () => {
    t = await startTestApp(fastHashing);
    const register = await t.request
      .post('/api/auth/register')
      .send({ email: 'l@example.com', password: goodPassword });
    const login = await t.request
      .post('/api/auth/login')
      .send({ email: 'l@example.com', password: 'wrong password!' });
    const reset = await t.request.post('/api/auth/password-reset').send({ email: 'l@example.com' });
    expect([register.status, login.status, reset.status]).toEqual([202, 401, 202]);
    // each route's own limiter, not only the general api budget
    expect(register.headers['x-ratelimit-limit']).toBe('5');
    expect(login.headers['x-ratelimit-limit']).toBe('10');
    expect(reset.headers['x-ratelimit-limit']).toBe('5');
  });

  it('a verification link works once', async () => {
    t = await startTestApp(fastHashing);
    await t.request
      .post('/api/auth/register')
      .send({ email: 'b@example.com', password: goodPassword })
      .expect(202);
    const token = await tokenFromMail(t, 'b@example.com');
    await t.request.post('/api/auth/verify-email').send({ token }).expect(204);
    const again = await t.request.post('/api/auth/verify-email').send({ token }).expect(400);
    expect(again.body.error.code).toBe('verification_token_invalid');
    for (const malformed of ['<img src=x>', '', 'x'.repeat(44), 7]) {
      const res = await t.request.post('/api/auth/verify-email').send({ token: malformed }).expect(400);
      expect(res.body.error.code).toBe('verification_token_invalid');
      expect(res.text).not.toContain('img');
    }
    expect((await t.services.users.findByEmail('b@example.com'))!.emailVerified).toBe(true);
  });

  it('rehashes a password made with a lower cost at the next sign-in', async () => {
    t = await startTestApp({ BCRYPT_COST: '5' });
    const { passwords } = await import('@shieldwall/passwords');
    const old = passwords({ cost: 4, poolSize: 1 });
    const created = await t.services.users.create({
      email: 'c@example.com',
      passwordHash: await old.hash(goodPassword),
      emailVerified: true,
    });
    await old.close();
    await t.request
      .post('/api/auth/login')
      .send({ email: 'c@example.com', password: goodPassword })
      .expect(200);
    for (
      let i = 0;
      i < 100 && !(await t.services.users.findById(created!.id))!.passwordHash!.startsWith('$2b$05$');
      i++
    )
      await new Promise((resolve) => setTimeout(resolve, 20));
    expect((await t.services.users.findById(created!.id))!.passwordHash).toMatch(/^\$2b\$05\$/);
  });
});

describe('reference app: cookie attributes', () => {
  let t: TestApp;
  afterEach(() => t.close());

  it('development: plain names, HttpOnly, SameSite=Lax, no Secure; the refresh cookie on /api/auth', async () => {
    t = await startTestApp(fastHashing);
    const login = await signUp(t, 'dev@example.com');
    const [access, refresh] = login.headers['set-cookie'] as unknown as string[];
    expect(access).toMatch(/^at=[\w.-]+; Max-Age=1200; Path=\/; HttpOnly; SameSite=Lax$/);
    expect(refresh).toMatch(/^rt=[\w.-]+; Max-Age=259200; Path=\/api\/auth; HttpOnly; SameSite=Lax$/);
  });

  it('production: __Host- access and __Secure- refresh cookies, Secure', async () => {
    const { productionEnv } = await import('./auth-helpers.js');
    const { passwords } = await import('@shieldwall/passwords');
    t = await startTestApp(productionEnv());
    // registration is CAPTCHA-gated in production; the account is made directly
    const hasher = passwords({ cost: 4, poolSize: 1 });
    await t.services.users.create({
      email: 'prod@example.com',
      passwordHash: await hasher.hash(goodPassword),
      emailVerified: true,
    });
    await hasher.close();
    const login = await t.request
      .post('/api/auth/login')
      .set('X-Forwarded-Proto', 'https')
      .send({ email: 'prod@example.com', password: goodPassword })
      .expect(200);
    const [access, refresh] = login.headers['set-cookie'] as unknown as string[];
    expect(access).toMatch(/^__Host-at=[\w.-]+; Max-Age=1200; Path=\/; HttpOnly; Secure; SameSite=Lax$/);
    expect(refresh).toMatch(
      /^__Secure-rt=[\w.-]+; Max-Age=259200; Path=\/api\/auth; HttpOnly; Secure; SameSite=Lax$/,
    );
    const cookies = setCookies(login);
    await t.request
      .get('/api/auth/me')
      .set('X-Forwarded-Proto', 'https')
      .set('Cookie', cookieHeader(cookies))
      .expect(200);
    const payload = decode(cookies['__Host-at']!);
    expect(payload).toMatchObject({ iss: 'https://app.example.test', aud: 'https://app.example.test' });
    expect(decode(cookies['__Host-at']!, 0).kid).toBe('p1');
    // a plain-named cookie does not count in production
    const plain = await t.request
      .get('/api/auth/me')
      .set('X-Forwarded-Proto', 'https')
      .set('Cookie', `at=${cookies['__Host-at']}`)
      .expect(401);
    expect(plain.body.error.code).toBe('unauthenticated');
  });
});
