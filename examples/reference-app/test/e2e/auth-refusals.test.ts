import { generateKeyPairSync, randomBytes } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { manualClock, type ManualClock } from '@shieldwall/core';
import { startTestApp, type TestApp } from '../helpers/reference-app.js';
import {
  authKeys,
  cookieHeader,
  decode,
  encode,
  fastHashing,
  recordingStore,
  goodPassword,
  setCookies,
  signUp,
  mailTo,
  tokenFromMail,
} from './auth-helpers.js';

const tooLong = 'é'.repeat(36) + 'x'; // 73 bytes in UTF-8

describe('reference app: refused sign-ups and sign-ins change nothing', () => {
  // A fresh app per test: registration allows 5 attempts an hour per client IP, and every test here comes from one.
  let t: TestApp;
  let store: ReturnType<typeof recordingStore>;
  beforeEach(async () => {
    store = recordingStore();
    t = await startTestApp(fastHashing, { store });
    await signUp(t, 'known@example.com');
  });
  afterEach(async () => {
    await t.close();
    await store.close();
  });

  const bodies: Array<[string, unknown, string]> = [
    ['no body', undefined, 'invalid_request'],
    ['an array', [{ email: 'x@example.com', password: goodPassword }], 'invalid_request'],
    ['a missing password', { email: 'x@example.com' }, 'invalid_request'],
    ['an extra field', { email: 'x@example.com', password: goodPassword, admin: true }, 'invalid_request'],
    ['a non-string password', { email: 'x@example.com', password: 123456789012345 }, 'invalid_request'],
    [
      'an invalid e-mail with markup',
      { email: '<script>alert(1)</script>', password: goodPassword },
      'invalid_request',
    ],
    ['a short password', { email: 'x@example.com', password: 'short' }, 'password_too_short'],
    ['a 73-byte password', { email: 'x@example.com', password: tooLong }, 'password_too_long'],
  ];

  it.each(bodies)(
    'register with %s: 400, no user, no mail, no cookie, no echo',
    async (_name, body, code) => {
      const users = await t.services.users.count();
      const mails = t.services.outbox.messages.length;
      const keys = authKeys(store).length;
      const req = t.request.post('/api/auth/register');
      const res = await (body === undefined ? req : req.send(body as object)).expect(400);
      expect(res.body.error.code).toBe(code);
      expect(res.headers['set-cookie']).toBeUndefined();
      expect(res.text).not.toContain('script');
      expect(res.text).not.toContain('x@example.com');
      expect(await t.services.users.count()).toBe(users);
      expect(t.services.outbox.messages.length).toBe(mails);
      expect(authKeys(store)).toHaveLength(keys);
    },
  );

  it('register with a taken address answers exactly as for a new one, and creates nothing', async () => {
    const users = await t.services.users.count();
    const before = await t.services.users.findByEmail('known@example.com');
    const res = await t.request
      .post('/api/auth/register')
      .send({ email: 'KNOWN@example.com', password: 'another long password' })
      .expect(202);
    expect(res.body).toEqual({ status: 'verification_sent' });
    expect(await t.services.users.count()).toBe(users);
    expect(await t.services.users.findByEmail('known@example.com')).toEqual(before);
    expect((await mailTo(t, 'known@example.com', 2)).subject).toBe('You already have an account');
  });

  it.each([
    ['a wrong password', 'known@example.com', 'wrong password here'],
    ['an unknown e-mail', 'nobody@example.com', goodPassword],
    ['a 73-byte password', 'known@example.com', tooLong],
    ['the real password plus one character', 'known@example.com', goodPassword + 'x'],
  ])('login with %s: 401 invalid_credentials, no cookie', async (_name, email, password) => {
    const keys = authKeys(store).length;
    const res = await t.request.post('/api/auth/login').send({ email, password }).expect(401);
    expect(res.body).toEqual({
      error: { code: 'invalid_credentials', message: 'The e-mail or password is wrong.' },
    });
    expect(res.headers['set-cookie']).toBeUndefined();
    expect(authKeys(store)).toHaveLength(keys); // no refresh family
  });

  it('login with a malformed body: 400 invalid_request, no cookie', async () => {
    const res = await t.request
      .post('/api/auth/login')
      .send({ email: ['known@example.com'], password: goodPassword })
      .expect(400);
    expect(res.body.error.code).toBe('invalid_request');
    expect(res.headers['set-cookie']).toBeUndefined();
  });
});

describe('reference app: forged and misused tokens', () => {
  let t: TestApp;
  let cookies: Record<string, string>;
  beforeAll(async () => {
    t = await startTestApp(fastHashing);
    cookies = setCookies(await signUp(t, 'forge@example.com'));
  });
  afterAll(() => t.close());

  const me = (access: string) => t.request.get('/api/auth/me').set('Cookie', `at=${access}`);
  const refused = async (access: string, code = 'token_invalid') => {
    const res = await me(access).expect(401);
    expect(res.body.error.code).toBe(code);
  };

  it('accepts the real one (control)', async () => {
    await me(cookies.at!).expect(200);
  });

  it('refuses alg none', async () => {
    const [, payload] = cookies.at!.split('.');
    await refused(`${encode({ alg: 'none', typ: 'at+jwt', kid: decode(cookies.at!, 0).kid })}.${payload}.`);
  });

  it('refuses an RS256 token and an HS/RS key confusion', async () => {
    const claims = decode(cookies.at!);
    const kid = decode(cookies.at!, 0).kid;
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    await refused(
      jwt.sign(claims, privateKey, { algorithm: 'RS256', header: { alg: 'RS256', typ: 'at+jwt', kid } }),
    );
    const pem = publicKey.export({ type: 'spki', format: 'pem' });
    await refused(
      jwt.sign(claims, pem, { algorithm: 'HS256', header: { alg: 'HS256', typ: 'at+jwt', kid } }),
    );
  });

  it('refuses a tampered payload and a wrong kid', async () => {
    const [header, payload, signature] = cookies.at!.split('.');
    const other = await t.services.users.create({ email: 'victim@example.com', emailVerified: true });
    await refused(`${header}.${encode({ ...decode(cookies.at!), sub: other!.id })}.${signature}`);
    await refused(`${encode({ ...decode(cookies.at!, 0), kid: 'other' })}.${payload}.${signature}`);
    const claims = decode(cookies.at!);
    // Signed with the real key under an unknown kid: a lookup that fell back to the current key would accept it.
    const key = t.services.config.jwtSecrets[0]!.key;
    await refused(
      jwt.sign(claims, key, { algorithm: 'HS256', header: { alg: 'HS256', typ: 'at+jwt', kid: 'other' } }),
    );
    await refused(
      jwt.sign(claims, randomBytes(32), {
        algorithm: 'HS256',
        header: { alg: 'HS256', typ: 'at+jwt', kid: 'other' },
      }),
    );
  });

  it('never takes the refresh token as access, or the reverse', async () => {
    await refused(cookies.rt!);
    const res = await t.request.post('/api/auth/refresh').set('Cookie', `rt=${cookies.at}`).expect(401);
    expect(res.body.error.code).toBe('token_invalid');
    expect(setCookies(res)).toEqual({ at: '', rt: '' });
  });

  it('answers unauthenticated for a valid token of a deleted user', async () => {
    // (the in-memory repository has no delete; a token for an id that never existed stands in for it)
    const claims = { ...decode(cookies.at!), sub: 'no-such-user' };
    const kid = decode(cookies.at!, 0).kid as string;
    const key = t.services.config.jwtSecrets.find((k) => k.id === kid)!.key;
    const forged = jwt.sign(claims, key, {
      algorithm: 'HS256',
      header: { alg: 'HS256', typ: 'at+jwt', kid },
    });
    await refused(forged, 'unauthenticated');
  });
});

describe('reference app: refresh rotation over HTTP', () => {
  let t: TestApp;
  let clock: ManualClock;
  beforeEach(async () => {
    clock = manualClock(Date.now());
    t = await startTestApp(fastHashing, { clock });
  });
  afterEach(() => t.close());

  const refresh = (cookies: Record<string, string>) =>
    t.request.post('/api/auth/refresh').set('Cookie', cookieHeader(cookies));

  it('a retired refresh token, replayed after the grace, revokes the whole family', async () => {
    const first = setCookies(await signUp(t, 'r@example.com'));
    const second = setCookies(await refresh(first).expect(204));
    clock.advance(30_000);
    const replay = await refresh(first).expect(401);
    expect(replay.body.error.code).toBe('refresh_reused');
    expect(setCookies(replay)).toEqual({ at: '', rt: '' });
    expect((await refresh(second).expect(401)).body.error.code).toBe('session_revoked');
    expect(t.logger.lines.some((e) => /reuse/.test(e.message))).toBe(true);
    expect(JSON.stringify(t.logger.lines)).not.toContain(first.rt!);
  });

  it('concurrent refreshes inside the grace all succeed; outside it the replay is reuse', async () => {
    const first = setCookies(await signUp(t, 'c@example.com'));
    const results = await Promise.all([refresh(first), refresh(first), refresh(first)]);
    expect(results.map((r) => r.status)).toEqual([204, 204, 204]);
    const jtis = new Set(results.map((r) => decode(setCookies(r).rt!).jti));
    expect(jtis.size).toBe(1);
    clock.advance(11_000);
    expect((await refresh(first).expect(401)).body.error.code).toBe('refresh_reused');
  });
});

describe('reference app: password reset', () => {
  let t: TestApp;
  let clock: ManualClock;
  beforeEach(async () => {
    clock = manualClock(Date.now());
    t = await startTestApp(fastHashing, { clock });
  });
  afterEach(() => t.close());

  const ask = (email: string) => t.request.post('/api/auth/password-reset').send({ email });
  const confirm = (token: string, password: string) =>
    t.request.post('/api/auth/password-reset/confirm').send({ token, password });

  it('answers 202 for an unknown address and sends and stores nothing', async () => {
    const store = recordingStore();
    const own = await startTestApp(fastHashing, { store });
    try {
      const res = await own.request
        .post('/api/auth/password-reset')
        .send({ email: 'ghost@example.com' })
        .expect(202);
      expect(res.body).toEqual({ status: 'accepted' });
      expect(own.services.outbox.messages).toHaveLength(0);
      expect(authKeys(store)).toEqual([]);
      // the control: a known address does store a token hash
      await signUp(own, 'known@example.com');
      await own.request.post('/api/auth/password-reset').send({ email: 'known@example.com' }).expect(202);
      await mailTo(own, 'known@example.com', 2);
      expect(authKeys(store).filter((key) => key.startsWith('pw:'))).toHaveLength(1);
      expect(own.services.outbox.messages.filter((m) => m.to === 'ghost@example.com')).toHaveLength(0);
    } finally {
      await own.close();
      await store.close();
    }
  });

  it('sets the new password with a single-use link and ends every session', async () => {
    const phone = setCookies(await signUp(t, 'reset@example.com'));
    const laptop = setCookies(
      await t.request
        .post('/api/auth/login')
        .send({ email: 'reset@example.com', password: goodPassword })
        .expect(200),
    );
    await ask('reset@example.com').expect(202);
    const mail = await mailTo(t, 'reset@example.com', 2);
    expect(mail.subject).toBe('Reset your password');
    expect(mail.text).toContain('30 minutes');
    const token = await tokenFromMail(t, 'reset@example.com', 2);

    // a refused password does not spend the link, and changes nothing
    const hashBefore = (await t.services.users.findByEmail('reset@example.com'))!.passwordHash;
    expect((await confirm(token, tooLongPassword()).expect(400)).body.error.code).toBe('password_too_long');
    expect((await confirm(token, 'short').expect(400)).body.error.code).toBe('password_too_short');
    expect((await t.services.users.findByEmail('reset@example.com'))!.passwordHash).toBe(hashBefore);

    await t.request.get('/api/auth/me').set('Cookie', cookieHeader(phone)).expect(200);
    await confirm(token, 'a brand new passphrase').expect(204);
    // Access tokens end with their sessions, not 20 minutes later.
    for (const cookies of [phone, laptop])
      expect(
        (await t.request.get('/api/auth/me').set('Cookie', cookieHeader(cookies)).expect(401)).body.error
          .code,
      ).toBe('session_revoked');
    for (const cookies of [phone, laptop])
      expect(
        (await t.request.post('/api/auth/refresh').set('Cookie', cookieHeader(cookies)).expect(401)).body
          .error.code,
      ).toBe('session_revoked');
    await t.request
      .post('/api/auth/login')
      .send({ email: 'reset@example.com', password: goodPassword })
      .expect(401);
    await t.request
      .post('/api/auth/login')
      .send({ email: 'reset@example.com', password: 'a brand new passphrase' })
      .expect(200);

    const used = await confirm(token, 'yet another passphrase').expect(400);
    expect(used.body.error.code).toBe('reset_token_invalid');
    await t.request
      .post('/api/auth/login')
      .send({ email: 'reset@example.com', password: 'a brand new passphrase' })
      .expect(200);
  });

  it('refuses an expired link and leaves the password alone', async () => {
    await signUp(t, 'late@example.com');
    await ask('late@example.com').expect(202);
    const token = await tokenFromMail(t, 'late@example.com', 2);
    clock.advance(31 * 60_000);
    expect((await confirm(token, 'a brand new passphrase').expect(400)).body.error.code).toBe(
      'reset_token_invalid',
    );
    await t.request
      .post('/api/auth/login')
      .send({ email: 'late@example.com', password: goodPassword })
      .expect(200);
  });

  it('refuses a made-up or malformed token with no echo', async () => {
    expect(
      (await confirm(randomBytes(32).toString('base64url'), 'a brand new passphrase').expect(400)).body.error
        .code,
    ).toBe('reset_token_invalid');
    const res = await confirm('<img src=x>', 'a brand new passphrase').expect(400);
    expect(res.body.error.code).toBe('reset_token_invalid');
    expect(res.text).not.toContain('img');
    // The reset routes allow 5 requests an hour per client: two more malformed ones, then the shape check.
    for (const token of ['x'.repeat(44), 42]) {
      const odd = await t.request
        .post('/api/auth/password-reset/confirm')
        .send({ token, password: 'a brand new passphrase' })
        .expect(400);
      expect(odd.body.error.code).toBe('reset_token_invalid');
    }
    // A body of the wrong shape is still invalid_request.
    const shape = await t.request.post('/api/auth/password-reset/confirm').send({ token: 'x' }).expect(400);
    expect(shape.body.error.code).toBe('invalid_request');
  });
});

function tooLongPassword(): string {
  return 'é'.repeat(36) + 'x';
}
