import { generateKeyPairSync, randomBytes } from 'node:crypto';
import jwt from 'jsonwebtoken';
import {
  cookieHeader,
  cookiesOf,
  eventually,
  expectNothingChanged,
  expectRefused,
  freshIp,
  messagesTo,
  modes,
  password,
  startTarget,
  stateChangesSince,
  tokenTo,
  type Target,
} from './harness.js';

// Threats: "Forger", "Token thief", "Credential stuffer" (docs/threat-model.md). Each attack is what an outsider
// would try from the docs, against the app in development and production, and each shows that the refusal is the
// documented one and that nothing changed.

const b64 = (value: object): string => Buffer.from(JSON.stringify(value)).toString('base64url');
const part = (token: string, index: number) =>
  JSON.parse(Buffer.from(token.split('.')[index]!, 'base64url').toString('utf8')) as Record<string, unknown>;

describe.each(modes)('attacks on sign-in and tokens (%s)', (mode) => {
  let a: Target;
  let victim: Record<string, string>;
  let access: string;
  beforeAll(async () => {
    a = await startTarget(mode);
    await a.account('victim@example.com');
    await a.account('other@example.com');
    victim = await a.signIn('victim@example.com');
    access = victim[a.cookie.access]!;
  });
  afterAll(() => a.close());

  const me = (token: string) => a.call('get', '/api/auth/me').set('Cookie', `${a.cookie.access}=${token}`);
  const forged = async (token: string, code = 'token_invalid') => {
    const before = await a.snapshot();
    expectRefused(await me(token), 401, code);
    await expectNothingChanged(a, before);
  };

  it('control: the real access token reads /me', async () => {
    expect((await me(access)).status).toBe(200);
  });

  it('forger: alg none with the victim claims', async () => {
    const claims = part(access, 1);
    await forged(`${b64({ alg: 'none', typ: 'JWT' })}.${b64(claims)}.`);
  });

  it('forger: HS256 under a guessed key, with the real kid', async () => {
    const header = part(access, 0);
    const token = jwt.sign(part(access, 1), randomBytes(32), {
      algorithm: 'HS256',
      header: { alg: 'HS256', kid: header.kid as string, typ: header.typ as string },
    });
    await forged(token);
  });

  it('forger: RS256 with an attacker key pair (HS/RS confusion)', async () => {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const header = part(access, 0);
    const token = jwt.sign(part(access, 1), privateKey, {
      algorithm: 'RS256',
      header: { alg: 'RS256', kid: header.kid as string, typ: header.typ as string },
    });
    await forged(token);
  });

  it('forger: the victim token with sub swapped to another user (signature kept)', async () => {
    const [header, , signature] = access.split('.');
    await forged(`${header}.${b64({ ...part(access, 1), sub: 'someone-else' })}.${signature}`);
  });

  it('forger: an unknown kid', async () => {
    const [, payload, signature] = access.split('.');
    await forged(`${b64({ ...part(access, 0), kid: 'attacker' })}.${payload}.${signature}`);
  });

  it('token thief: the refresh token presented as an access token', async () => {
    await forged(victim[a.cookie.refresh]!);
  });

  it('token thief: an access token past its 20 minutes', async () => {
    const fresh = await a.signIn('other@example.com');
    a.clock.advance(21 * 60_000);
    try {
      await forged(fresh[a.cookie.access]!, 'token_expired');
    } finally {
      a.clock.advance(-21 * 60_000);
    }
  });

  it('token thief: an access token replayed after its session logged out', async () => {
    const stolen = await a.signIn('other@example.com');
    await a.call('post', '/api/auth/logout').set('Cookie', cookieHeader(stolen)).expect(204);
    await forged(stolen[a.cookie.access]!, 'session_revoked');
  });

  it('token thief: a rotated refresh token replayed revokes its family; the fork is refused too', async () => {
    const original = await a.signIn('other@example.com');
    const refresh = (cookies: Record<string, string>) =>
      a.call('post', '/api/auth/refresh').set('Cookie', `${a.cookie.refresh}=${cookies[a.cookie.refresh]!}`);
    const rotated = cookiesOf(await refresh(original).expect(204));
    a.clock.advance(60_000); // past the concurrency grace
    expectRefused(await refresh(original), 401, 'refresh_reused');
    // The legitimate holder of the fork is signed out as well: the thief cannot keep a branch alive.
    expectRefused(await refresh(rotated), 401, 'session_revoked');
    const before = await a.snapshot();
    expectRefused(await me(rotated[a.cookie.access]!), 401, 'session_revoked');
    await expectNothingChanged(a, before);
  });

  it('token thief: a made-up refresh token', async () => {
    const before = await a.snapshot();
    const res = await a
      .call('post', '/api/auth/refresh')
      .set('Cookie', `${a.cookie.refresh}=${b64({ alg: 'HS256' })}.${b64({ sub: 'x' })}.sig`);
    expectRefused(res, 401, 'token_invalid');
    await expectNothingChanged(a, before);
  });

  it('sign out everywhere without a session', async () => {
    const before = await a.snapshot();
    expectRefused(await a.call('post', '/api/auth/logout-all'), 401, 'unauthenticated');
    await expectNothingChanged(a, before);
  });
});

describe.each(modes)('attacks on passwords and links (%s)', (mode) => {
  let a: Target;
  beforeAll(async () => {
    a = await startTarget(mode);
    await a.account('stuffed@example.com');
    await a.account('reset@example.com');
  });
  afterAll(() => a.close());

  const login = (email: string, guess: string, ip: string) =>
    a.call('post', '/api/auth/login', ip).send({ email, password: guess });
  // Ten wrong guesses from `ip`, each at its own account (accounts hash at a low cost; an unknown address would
  // cost a full bcrypt in production), so no per-account budget is reached on the way.
  let guessed = 0;
  const tenWrongGuesses = async (ip: string) => {
    for (let i = 0; i < 10; i += 1) {
      guessed += 1;
      const email = `guessed-${guessed}@example.com`;
      await a.account(email);
      expectRefused(await login(email, `guess ${i}`, ip), 401, 'invalid_credentials');
    }
  };

  it('credential stuffer: an unknown e-mail answers as a wrong password, and sets no cookie', async () => {
    const ip = freshIp();
    const before = await a.snapshot();
    const unknown = await login('nobody@example.com', password, ip);
    const wrong = await login('stuffed@example.com', 'not the password', ip);
    expectRefused(unknown, 401, 'invalid_credentials');
    expect(unknown.body).toEqual(wrong.body);
    expect(unknown.headers['set-cookie']).toBeUndefined();
    await expectNothingChanged(a, before);
  });

  it('credential stuffer: the 11th guess from one IP is a challenge, even with the right password', async () => {
    const ip = freshIp();
    await tenWrongGuesses(ip);
    const before = await a.snapshot();
    const right = await login('stuffed@example.com', password, ip);
    expectRefused(right, 403, 'verification_required');
    expect(right.headers['set-cookie']).toBeUndefined();
    // No session was made; the only message is the code to the account's owner, never to the guesser.
    expect(stateChangesSince(a, before).filter((change) => / jwt:/.test(change))).toEqual([]);
    expect(await eventually(async () => (await messagesTo(a, 'stuffed@example.com'))[0])).toMatch(
      /\b\d{6}\b/,
    );
  });

  it('credential stuffer: guesses at one account from many IPs share its budget', async () => {
    await a.account('spread@example.com');
    for (let i = 0; i < 10; i += 1) await login('spread@example.com', `guess ${i}`, freshIp()).expect(401);
    const res = await login('spread@example.com', 'guess 11', freshIp());
    expectRefused(res, 403, 'verification_required');
    expect(res.headers['set-cookie']).toBeUndefined();
  });

  it('credential stuffer: a code from the attacker own mailbox does not refill the budget', async () => {
    const ip = freshIp();
    await a.account('mallory@example.com');
    await tenWrongGuesses(ip);
    const over = await login('mallory@example.com', password, ip).expect(403);
    const code = await eventually(async () => {
      const texts = await messagesTo(a, 'mallory@example.com');
      return /\b(\d{6})\b/.exec(texts[texts.length - 1] ?? '')?.[1];
    });
    await a
      .call('post', '/api/auth/login', ip)
      .set('X-Verification-Id', over.body.error.challenge.id)
      .set('X-Verification-Code', code)
      .send({ email: 'mallory@example.com', password })
      .expect(200);
    expectRefused(await login('stuffed@example.com', 'next guess', ip), 403, 'verification_required');
  });

  const confirm = (token: string, newPassword = 'a brand new passphrase') =>
    a.call('post', '/api/auth/password-reset/confirm', freshIp()).send({ token, password: newPassword });

  it.each([
    ['made up', randomBytes(32).toString('base64url')],
    ['malformed', '../../etc/passwd'],
    ['empty', ''],
  ])('reset: a %s token', async (_name, token) => {
    const before = await a.snapshot();
    expectRefused(await confirm(token), 400, 'reset_token_invalid');
    await expectNothingChanged(a, before);
  });

  it('reset: a real token with one character changed, then used twice, then expired', async () => {
    a.captcha('password_reset');
    await a
      .call('post', '/api/auth/password-reset', freshIp())
      .set('X-Captcha-Token', 'r1')
      .send({ email: 'reset@example.com' })
      .expect(202);
    const token = await tokenTo(a, 'reset@example.com');
    const flipped = token.slice(0, -1) + (token.endsWith('A') ? 'B' : 'A');
    let before = await a.snapshot();
    expectRefused(await confirm(flipped), 400, 'reset_token_invalid');
    await expectNothingChanged(a, before);
    await confirm(token).expect(204);
    before = await a.snapshot();
    expectRefused(await confirm(token, 'the attacker passphrase'), 400, 'reset_token_invalid');
    await expectNothingChanged(a, before);

    await a
      .call('post', '/api/auth/password-reset', freshIp())
      .set('X-Captcha-Token', 'r2')
      .send({ email: 'reset@example.com' })
      .expect(202);
    const late = await tokenTo(a, 'reset@example.com', 2);
    a.clock.advance(2 * 3600_000);
    before = await a.snapshot();
    expectRefused(await confirm(late), 400, 'reset_token_invalid');
    await expectNothingChanged(a, before, /^take /);
  });

  it('reset: asking for an unknown address answers 202 and stores and sends nothing', async () => {
    a.captcha('password_reset');
    const before = await a.snapshot();
    const res = await a
      .call('post', '/api/auth/password-reset', freshIp())
      .set('X-Captcha-Token', 'r3')
      .send({ email: 'ghost@example.com' });
    expect(res.status).toBe(202);
    await expectNothingChanged(a, before, /^setIfAbsent captcha/);
  });

  it.each([
    ['made up', randomBytes(32).toString('base64url')],
    ['malformed', 'not a token!'],
  ])('verification: a %s e-mail verification token', async (_name, token) => {
    const before = await a.snapshot();
    expectRefused(
      await a.call('post', '/api/auth/verify-email', freshIp()).send({ token }),
      400,
      'verification_token_invalid',
    );
    await expectNothingChanged(a, before);
  });
});
