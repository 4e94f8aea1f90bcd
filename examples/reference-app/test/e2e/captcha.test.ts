import { startTestApp } from '../helpers/reference-app.js';
import { goodPassword, mailTo } from './auth-helpers.js';
import { codeFrom, recaptchaReply, startCaptchaApp, type CaptchaTestApp } from './captcha-helpers.js';

const email = 'ann@example.com';
const register = (a: CaptchaTestApp, token?: string, body: object = {}) => {
  const req = a.t.request.post('/api/auth/register');
  if (token) req.set('X-Captcha-Token', token);
  return req.send({ email, password: goodPassword, ...body });
};

async function expectNoUser(a: CaptchaTestApp) {
  expect(await a.t.services.users.count()).toBe(0);
}

describe('reference app: registration behind the CAPTCHA gate', () => {
  let a: CaptchaTestApp;
  afterEach(() => a.close());

  it('registers a high-scoring client with no code, after sending the provider the right form fields', async () => {
    a = await startCaptchaApp();
    a.provider.reply = () => recaptchaReply(a, 0.9, 'register');
    await register(a, 'token-high').expect(202);
    expect(await a.t.services.users.findByEmail(email)).toBeDefined();
    expect(a.provider.calls).toHaveLength(1);
    expect(a.provider.calls[0]!.contentType).toBe('application/x-www-form-urlencoded');
    expect(a.provider.calls[0]!.body).toEqual({
      secret: 'captcha-secret',
      response: 'token-high',
      remoteip: '127.0.0.1',
    });
    // Only the verification link was mailed (after the 202: wait for it), no code.
    await mailTo(a.t, email);
    expect(a.t.services.outbox.messages.map((m) => m.subject)).toEqual(['Confirm your e-mail address']);
  });

  it("takes the token from the body's captchaToken and removes it before the body is validated", async () => {
    a = await startCaptchaApp();
    a.provider.reply = () => recaptchaReply(a, 0.9, 'register');
    await register(a, undefined, { captchaToken: 'token-in-body' }).expect(202);
    expect(a.provider.calls[0]!.body).toMatchObject({ response: 'token-in-body' });
    expect(await a.t.services.users.findByEmail(email)).toBeDefined();
  });

  it('asks a low-scoring client for the e-mailed code, and registers it when the code comes back', async () => {
    a = await startCaptchaApp();
    a.provider.reply = () => recaptchaReply(a, 0.3, 'register');
    const first = await register(a, 'token-low');
    expect(first.status).toBe(403);
    expect(first.body.error).toMatchObject({
      code: 'verification_required',
      challenge: { id: expect.any(String), channel: 'email', expiresAt: a.clock.now() + 600_000 },
    });
    await expectNoUser(a);
    const mail = a.t.services.outbox.latestTo(email)!;
    expect(mail.subject).toBe('Your verification code');
    const code = codeFrom(a.t, email);

    const again = await register(a)
      .set('X-Verification-Id', first.body.error.challenge.id)
      .set('X-Verification-Code', code);
    expect(again.status).toBe(202);
    expect(await a.t.services.users.count()).toBe(1);
    // Never logged: neither the token nor the code.
    const logged = JSON.stringify(a.t.logger.lines);
    expect(logged).not.toContain('token-low');
    expect(logged).toContain('score_below_threshold');
  });

  // Registration allows 5 requests per hour per client before the rate limiter steps in: each case stays within it.
  async function stepUps(a: CaptchaTestApp, cases: Array<[string | undefined, () => void]>) {
    const reasons: unknown[] = [];
    for (const [token, arrange] of cases) {
      arrange();
      const before = await a.t.services.users.count();
      const res = await register(a, token);
      expect(res.status).toBe(403);
      expect(res.body.error.code).toBe('verification_required');
      expect(await a.t.services.users.count()).toBe(before);
      expect(await a.t.services.users.findByEmail(email)).toBeUndefined();
      reasons.push(
        a.t.logger.lines.filter((l) => l.message.includes('verification code required')).at(-1)?.reason,
      );
    }
    return reasons;
  }

  it('refuses, sending nothing, a missing token, a token for another action, host or page, and a replay', async () => {
    a = await startCaptchaApp();
    a.provider.reply = () => recaptchaReply(a, 0.9, 'register');
    await register(a, 'once', { email: 'first@example.com' }).expect(202);
    const sentBefore = a.t.services.outbox.messages.length;
    const cases: Array<[string | undefined, () => void]> = [
      [undefined, () => undefined],
      ['once', () => undefined],
      ['for-login', () => (a.provider.reply = () => recaptchaReply(a, 0.9, 'login'))],
      [
        'elsewhere',
        () =>
          (a.provider.reply = () => ({
            json: { ...recaptchaReply(a, 0.9, 'register').json, hostname: 'phish.example.net' },
          })),
      ],
    ];
    for (const [token, arrange] of cases) {
      arrange();
      const users = await a.t.services.users.count();
      const res = await register(a, token);
      expect(res.status).toBe(403);
      expect(res.body).toEqual({ error: { code: 'captcha_failed', message: expect.any(String) } });
      expect(await a.t.services.users.count()).toBe(users);
    }
    // No code and no mail went to the address in the body: the step-up is not a message cannon.
    expect(a.t.services.outbox.messages.length).toBe(sentBefore);
    expect(a.t.services.outbox.latestTo(email)).toBeUndefined();
  }, 15_000);

  it('gates password reset too: no token, no reset e-mail', async () => {
    a = await startCaptchaApp();
    await a.t.services.users.create({ email, emailVerified: true });
    const res = await a.t.request.post('/api/auth/password-reset').send({ email });
    expect(res.status).toBe(403);
    expect(res.body.error.code).toBe('captcha_failed');
    a.provider.reply = () => recaptchaReply(a, 0.9, 'password_reset');
    await a.t.request
      .post('/api/auth/password-reset')
      .set('X-Captcha-Token', 'reset-ok')
      .send({ email })
      .expect(202);
    expect((await mailTo(a.t, email)).subject).toBe('Reset your password');
    expect(a.t.services.outbox.messages).toHaveLength(1);
  });

  it('steps up a provider outage to a code (the provider could not say), and logs why', async () => {
    a = await startCaptchaApp();
    const reasons = await stepUps(a, [
      ['outage', () => (a.provider.reply = { status: 503, text: 'unavailable' })],
      ['slow', () => (a.provider.reply = { hang: true })],
    ]);
    expect(reasons).toEqual(['provider_unavailable', 'provider_unavailable']);
  }, 15_000);

  describe('codes', () => {
    let tokens = 0;
    const challenge = async (to = email) => {
      // A solved CAPTCHA with a low score: the only kind of failure that earns a code.
      a.provider.reply = () => recaptchaReply(a, 0.3, 'register');
      tokens += 1;
      const res = await register(a, `low-${tokens}`, { email: to }).expect(403);
      return { id: res.body.error.challenge.id as string, code: codeFrom(a.t, to) };
    };
    const answer = (id: string, code: string, to = email) =>
      register(a, undefined, { email: to }).set('X-Verification-Id', id).set('X-Verification-Code', code);
    const wrong = (code: string) => String((Number(code) + 1) % 1e6).padStart(6, '0');

    it('refuses a wrong code with verification_failed and the attempts left; the right one then works', async () => {
      a = await startCaptchaApp();
      const one = await challenge();
      const bad = await answer(one.id, wrong(one.code));
      expect(bad.status).toBe(403);
      expect(bad.body.error).toEqual({
        code: 'verification_failed',
        message: expect.any(String),
        attemptsRemaining: 4,
      });
      await expectNoUser(a);
      await answer(one.id, one.code).expect(202);
    });

    it('counts wrong codes: after 5 the right code no longer works', async () => {
      a = await startCaptchaApp();
      const one = await challenge();
      const remaining: unknown[] = [];
      for (let i = 0; i < 4; i += 1)
        remaining.push((await answer(one.id, wrong(one.code))).body.error.attemptsRemaining);
      expect(remaining).toEqual([4, 3, 2, 1]);
      // The limit (5 an hour) is reached: the rate limiter now answers, with the same code provider bound to the same
      // action and client, so attempts keep counting; it hands out a fresh challenge instead of naming the failure.
      const fifth = await answer(one.id, wrong(one.code));
      expect(fifth.status).toBe(403);
      expect(fifth.body.error.code).toBe('verification_required');
      const right = await answer(one.id, one.code);
      expect(right.status).toBe(403);
      expect(right.body.error.code).toBe('verification_required');
      await expectNoUser(a);
    });

    it('expires a code after 10 minutes (verification_expired)', async () => {
      a = await startCaptchaApp();
      const two = await challenge();
      a.clock.advance(10 * 60_000);
      const expired = await answer(two.id, two.code);
      expect(expired.status).toBe(403);
      expect(expired.body.error.code).toBe('verification_expired');
      await expectNoUser(a);
    });

    it('accepts a code once (then verification_used)', async () => {
      a = await startCaptchaApp();
      const three = await challenge('three@example.com');
      await answer(three.id, three.code, 'three@example.com').expect(202);
      const reused = await answer(three.id, three.code, 'three@example.com');
      expect(reused.status).toBe(403);
      expect(reused.body.error.code).toBe('verification_used');
      expect(await a.t.services.users.count()).toBe(1);
    });

    it('binds a code to the address it was sent to', async () => {
      a = await startCaptchaApp();
      const four = await challenge('four@example.com');
      const moved = await answer(four.id, four.code, 'someone-else@example.com');
      expect(moved.status).toBe(403);
      expect(moved.body.error.code).toBe('verification_failed');
      expect(await a.t.services.users.count()).toBe(0);
    });
  });

  it.each([
    [
      'hcaptcha',
      { CAPTCHA_SITE_KEY: 'site-1' },
      { success: true, score: 0.1, hostname: 'localhost' },
      { sitekey: 'site-1' },
    ],
    ['turnstile', {}, { success: true, action: 'register', hostname: 'localhost', 'error-codes': [] }, {}],
  ])('speaks %s: form-encoded, and a passing answer registers', async (name, env, reply, extra) => {
    a = await startCaptchaApp(name, env);
    a.provider.reply = () => ({
      json: { ...reply, challenge_ts: new Date(a.clock.now() - 1000).toISOString() },
    });
    await register(a, 'tok').expect(202);
    expect(a.provider.calls[0]!.contentType).toBe('application/x-www-form-urlencoded');
    expect(a.provider.calls[0]!.body).toMatchObject({ secret: 'captcha-secret', response: 'tok', ...extra });
  });

  it('speaks reCAPTCHA Enterprise: a JSON assessment; a 0.3 score steps up', async () => {
    a = await startCaptchaApp('recaptcha-enterprise', { CAPTCHA_SITE_KEY: 'site-e' });
    a.provider.reply = () => ({
      json: {
        riskAnalysis: { score: 0.3, reasons: ['AUTOMATION'] },
        tokenProperties: {
          valid: true,
          action: 'register',
          hostname: 'localhost',
          createTime: new Date(a.clock.now()).toISOString(),
        },
      },
    });
    const res = await register(a, 'etok');
    expect(res.status).toBe(403);
    expect(res.body.error.code).toBe('verification_required');
    expect(a.provider.calls[0]!.headers['x-goog-api-key']).toBe('captcha-secret');
    expect(a.provider.calls[0]!.body).toMatchObject({
      event: { token: 'etok', siteKey: 'site-e', expectedAction: 'register' },
    });
    await expectNoUser(a);
  });
});

describe('reference app: no CAPTCHA provider outside production', () => {
  it('is a no-op that warns once at start', async () => {
    const t = await startTestApp({ BCRYPT_COST: '4' });
    try {
      await t.request.post('/api/auth/register').send({ email, password: goodPassword }).expect(202);
      await t.request
        .post('/api/auth/register')
        .send({ email: 'b@example.com', password: goodPassword })
        .expect(202);
      const warnings = t.logger.lines.filter(
        (l) => l.level === 'warn' && l.message.startsWith('captcha gate disabled'),
      );
      expect(warnings).toHaveLength(1);
    } finally {
      await t.close();
    }
  });
});
