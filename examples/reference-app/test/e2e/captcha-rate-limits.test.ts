import { manualClock } from '@shieldwall/core';
import { startTestApp, type TestApp } from '../helpers/reference-app.js';
import { fastHashing, goodPassword, mailTo, signUp } from './auth-helpers.js';
import { codeFrom, recaptchaReply, startCaptchaApp, type CaptchaTestApp } from './captcha-helpers.js';

// The rate limiters of login and registration challenge instead of block (002: "rate limiting means ... showing
// verification codes"), through the ChallengeProvider of @shieldwall/captcha-gate.

describe('reference app: rate limits that challenge with verification codes', () => {
  let t: TestApp;
  afterEach(() => t.close());

  it('asks the 6th registration in an hour for an e-mailed code, and lets it through with that code', async () => {
    t = await startTestApp(fastHashing, { clock: manualClock(Date.now()) });
    for (let i = 0; i < 5; i += 1) {
      await t.request
        .post('/api/auth/register')
        .send({ email: `u${i}@example.com`, password: goodPassword })
        .expect(202);
    }
    const over = await t.request
      .post('/api/auth/register')
      .send({ email: 'six@example.com', password: goodPassword });
    expect(over.status).toBe(403);
    expect(over.body.error).toMatchObject({ code: 'verification_required', challenge: { channel: 'email' } });
    expect(await t.services.users.findByEmail('six@example.com')).toBeUndefined();
    const code = codeFrom(t, 'six@example.com');

    const wrongCode = String((Number(code) + 1) % 1e6).padStart(6, '0');
    const wrong = await t.request
      .post('/api/auth/register')
      .set('X-Verification-Id', over.body.error.challenge.id)
      .set('X-Verification-Code', wrongCode)
      .send({ email: 'six@example.com', password: goodPassword });
    expect(wrong.status).toBe(403);
    expect(wrong.body.error.code).toBe('verification_required');
    expect(await t.services.users.findByEmail('six@example.com')).toBeUndefined();

    await t.request
      .post('/api/auth/register')
      .set('X-Verification-Id', over.body.error.challenge.id)
      .set('X-Verification-Code', code)
      .send({ email: 'six@example.com', password: goodPassword })
      .expect(202);
    expect(await t.services.users.findByEmail('six@example.com')).toBeDefined();
  });

  it('asks the 11th sign-in attempt in 15 minutes for a code sent to the account address', async () => {
    t = await startTestApp(fastHashing, { clock: manualClock(Date.now()) });
    await signUp(t, 'lee@example.com'); // one sign-in
    for (let i = 0; i < 9; i += 1) {
      await t.request
        .post('/api/auth/login')
        .send({ email: 'lee@example.com', password: 'wrong password!!' })
        .expect(401);
    }
    const over = await t.request
      .post('/api/auth/login')
      .send({ email: 'lee@example.com', password: goodPassword });
    expect(over.status).toBe(403);
    expect(over.body.error.code).toBe('verification_required');
    expect(over.headers['set-cookie']).toBeUndefined();
    const ok = await t.request
      .post('/api/auth/login')
      .set('X-Verification-Id', over.body.error.challenge.id)
      .set('X-Verification-Code', codeFrom(t, 'lee@example.com'))
      .send({ email: 'lee@example.com', password: goodPassword });
    expect(ok.status).toBe(200);
  });
});

describe('reference app: solved challenges never refill the login budget; per-account limits', () => {
  let t: TestApp;
  afterEach(() => t.close());
  const login = (email: string, password: string, ip?: string) => {
    const req = t.request.post('/api/auth/login');
    if (ip) req.set('X-Forwarded-For', ip);
    return req.send({ email, password });
  };

  it('a code from the attacker own mailbox buys one sign-in to that account, not ten guesses at another', async () => {
    t = await startTestApp(fastHashing, { clock: manualClock(Date.now()) });
    await signUp(t, 'mallory@example.com'); // one sign-in from this IP
    await signUp(t, 'victim@example.com'); // and another
    for (let i = 0; i < 8; i += 1) await login('victim@example.com', `guess number ${i}!!`).expect(401);
    const over = await login('mallory@example.com', goodPassword).expect(403);
    await t.request
      .post('/api/auth/login')
      .set('X-Verification-Id', over.body.error.challenge.id)
      .set('X-Verification-Code', codeFrom(t, 'mallory@example.com'))
      .send({ email: 'mallory@example.com', password: goodPassword })
      .expect(200);
    // The next guess at the victim is not a guess: it is a challenge whose code goes to the victim's mailbox.
    const next = await login('victim@example.com', 'guess number 9!!').expect(403);
    expect(next.body.error.code).toBe('verification_required');
    expect(t.services.outbox.latestTo('victim@example.com')?.subject).toBe('Your verification code');
    expect(next.headers['set-cookie']).toBeUndefined();
  });

  it('attempts against one account from many IPs share a budget; its owner passes with the mailed code', async () => {
    t = await startTestApp({ ...fastHashing, TRUST_PROXY: 'loopback' }, { clock: manualClock(Date.now()) });
    await signUp(t, 'target@example.com'); // one sign-in, from 127.0.0.1
    for (let i = 1; i <= 9; i += 1)
      await login('target@example.com', 'not the password', `203.0.113.${i}`).expect(401);
    const spread = await login('target@example.com', 'not the password', '203.0.113.50').expect(403);
    expect(spread.body.error.code).toBe('verification_required');
    expect(spread.headers['set-cookie']).toBeUndefined();
    // Another account from the same IPs is not affected.
    await login('someone@example.com', 'not the password', '203.0.113.1').expect(401);
    // The owner, from yet another IP, gets through with the code sent to the account address.
    const owner = await t.request
      .post('/api/auth/login')
      .set('X-Forwarded-For', '198.51.100.7')
      .set('X-Verification-Id', spread.body.error.challenge.id)
      .set('X-Verification-Code', codeFrom(t, 'target@example.com'))
      .send({ email: 'target@example.com', password: goodPassword });
    expect(owner.status).toBe(200);
  });
});

describe('reference app: the CAPTCHA step-up and the registration limit share one code', () => {
  let a: CaptchaTestApp;
  afterEach(() => a.close());

  it('a code the gate sent still works once the client is over the limit: no second code', async () => {
    a = await startCaptchaApp();
    a.provider.reply = () => recaptchaReply(a, 0.9, 'register');
    for (let i = 0; i < 4; i += 1) {
      await a.t.request
        .post('/api/auth/register')
        .set('X-Captcha-Token', `t${i}`)
        .send({ email: `u${i}@example.com`, password: goodPassword })
        .expect(202);
    }
    a.provider.reply = () => recaptchaReply(a, 0.2, 'register');
    const stepUp = await a.t.request
      .post('/api/auth/register')
      .set('X-Captcha-Token', 'low')
      .send({ email: 'ann@example.com', password: goodPassword });
    expect(stepUp.status).toBe(403);
    const sentBefore = a.t.services.outbox.messages.length;
    // The 6th request is over the limit: the limiter checks the code (same action, same client), the gate accepts it.
    const answered = await a.t.request
      .post('/api/auth/register')
      .set('X-Verification-Id', stepUp.body.error.challenge.id)
      .set('X-Verification-Code', codeFrom(a.t, 'ann@example.com'))
      .send({ email: 'ann@example.com', password: goodPassword });
    expect(answered.status).toBe(202);
    expect(await a.t.services.users.findByEmail('ann@example.com')).toBeDefined();
    // Only the verification link went out after the answer (mailed after the 202: wait for it), no second code.
    await mailTo(a.t, 'ann@example.com', 2);
    expect(a.t.services.outbox.messages.slice(sentBefore).map((m) => m.subject)).toEqual([
      'Confirm your e-mail address',
    ]);
  });
});
