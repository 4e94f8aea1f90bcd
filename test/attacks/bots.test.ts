import {
  eventually,
  expectNothingChanged,
  expectRefused,
  freshIp,
  messagesTo,
  modes,
  password,
  startTarget,
  type Target,
} from './harness.js';

// Threat: "Bot" (docs/threat-model.md): mass registration, SMS pumping, the free SMS/e-mail cannon. The CAPTCHA
// provider is a fake on loopback that answers as reCAPTCHA v3 would; each request carries its own token (the gate
// spends a token once, so the only state an attack may leave is its own spent token).

const spentToken = /^setIfAbsent captcha-gate:token:/;
let tokens = 0;
const token = (): string => `bot-token-${(tokens += 1)}`;

describe.each(modes)('bot attacks (%s)', (mode) => {
  let a: Target;
  beforeAll(async () => {
    a = await startTarget(mode);
  });
  afterAll(() => a.close());

  const register = (email: string, captchaToken?: string, ip = freshIp()) => {
    const req = a.call('post', '/api/auth/register', ip);
    return (captchaToken ? req.set('X-Captcha-Token', captchaToken) : req).send({ email, password });
  };
  const sms = (phone: string, captchaToken?: string, ip = freshIp()) => {
    const req = a.call('post', '/api/otp/sms', ip);
    return (captchaToken ? req.set('X-Captcha-Token', captchaToken) : req).send({ phone });
  };

  it('mass registration without a CAPTCHA token', async () => {
    const before = await a.snapshot();
    expectRefused(await register('bot1@example.com'), 403, 'captcha_failed');
    await expectNothingChanged(a, before);
    expect(a.provider.calls).toHaveLength(0);
  });

  it('registration with a token the provider rejects', async () => {
    a.provider.reply = { json: { success: false, 'error-codes': ['invalid-input-response'] } };
    const before = await a.snapshot();
    expectRefused(await register('bot2@example.com', token()), 403, 'captcha_failed');
    await expectNothingChanged(a, before, spentToken);
  });

  it('a solved token replayed for a second registration', async () => {
    a.captcha('register');
    const solved = token();
    await register('bot3@example.com', solved).expect(202);
    const before = await a.snapshot();
    expectRefused(await register('bot4@example.com', solved), 403, 'captcha_failed');
    await expectNothingChanged(a, before);
  });

  it('a token solved for another action (SMS) presented at registration', async () => {
    a.captcha('sms_otp');
    const before = await a.snapshot();
    expectRefused(await register('bot5@example.com', token()), 403, 'captcha_failed');
    await expectNothingChanged(a, before, spentToken);
  });

  it('a token solved on another site (hostname)', async () => {
    a.provider.reply = () => ({
      json: {
        success: true,
        score: 0.9,
        action: 'register',
        hostname: 'evil.example',
        challenge_ts: new Date(a.clock.now() - 2000).toISOString().replace(/\.\d{3}Z$/, 'Z'),
      },
    });
    const before = await a.snapshot();
    expectRefused(await register('bot6@example.com', token()), 403, 'captcha_failed');
    await expectNothingChanged(a, before, spentToken);
  });

  it('a low score steps up to a code; a guessed code creates nothing', async () => {
    a.captcha('register', 0.1);
    const ip = freshIp();
    const stepUp = await register('bot7@example.com', token(), ip);
    expectRefused(stepUp, 403, 'verification_required');
    const before = await a.snapshot();
    const guessed = await a
      .call('post', '/api/auth/register', ip)
      .set('X-Verification-Id', stepUp.body.error.challenge.id)
      .set('X-Verification-Code', '000000')
      .send({ email: 'bot7@example.com', password });
    expect(guessed.status).toBe(403);
    expect(guessed.body.error.code).toMatch(/^verification_(failed|exhausted)$/);
    // The code's attempt counter is the only change; no user, no message.
    await expectNothingChanged(a, before, /^set captcha-gate:code:|^set .*code/);
  });

  it('SMS pumping without a CAPTCHA token', async () => {
    const before = await a.snapshot();
    expectRefused(await sms('+447700900001'), 403, 'captcha_failed');
    await expectNothingChanged(a, before);
  });

  it('SMS cannon: the 6th code to one number from six IPs is refused and not sent', async () => {
    a.captcha('sms_otp');
    for (let i = 0; i < 5; i += 1) expect((await sms('+447700900002', token())).status).toBe(202);
    const before = await a.snapshot();
    const sixth = await sms('+447700900002', token());
    expectRefused(sixth, 429, 'destination_rate_limited');
    expect(Number(sixth.headers['retry-after'])).toBeGreaterThan(0);
    await expectNothingChanged(a, before, spentToken);
  });

  it('e-mail cannon: the 6th reset mail to one address answers 202 and is not written', async () => {
    await a.account('cannon@example.com');
    a.captcha('password_reset');
    const reset = () =>
      a
        .call('post', '/api/auth/password-reset', freshIp())
        .set('X-Captcha-Token', token())
        .send({ email: 'cannon@example.com' });
    for (let i = 1; i <= 5; i += 1) {
      await reset().expect(202);
      await eventually(async () =>
        (await messagesTo(a, 'cannon@example.com')).length >= i ? true : undefined,
      );
    }
    const before = await a.snapshot();
    expect((await reset()).status).toBe(202);
    await eventually(() =>
      a.t.logger.lines.some((line) => line.message === 'message dropped' && line.kind === 'password_reset')
        ? true
        : undefined,
    );
    // The reset token is stored (the answer must not change), but no mail goes out.
    await expectNothingChanged(a, before, /^setIfAbsent captcha-gate:token:|^set pw:/);
  });

  it('SMS code checked from another browser (no session cookie)', async () => {
    a.captcha('sms_otp');
    const sent = await sms('+447700900003', token());
    expect(sent.status).toBe(202);
    const before = await a.snapshot();
    const res = await a
      .call('post', '/api/otp/sms/verify', freshIp())
      .send({ phone: '+447700900003', id: sent.body.otp.id, code: '123456' });
    expectRefused(res, 403, 'verification_failed');
    await expectNothingChanged(a, before);
  });

  it('SMS code guessed for another number with the right session', async () => {
    a.captcha('sms_otp');
    const sent = await sms('+447700900004', token());
    const session = (sent.headers['set-cookie'] as unknown as string[])[0]!.split(';')[0]!;
    const before = await a.snapshot();
    const res = await a
      .call('post', '/api/otp/sms/verify', freshIp())
      .set('Cookie', session)
      .send({ phone: '+447700900005', id: sent.body.otp.id, code: '123456' });
    expectRefused(res, 403, 'verification_failed');
    await expectNothingChanged(a, before);
  });

  it('password reset without a CAPTCHA token', async () => {
    await a.account('noreset@example.com');
    const before = await a.snapshot();
    expectRefused(
      await a.call('post', '/api/auth/password-reset', freshIp()).send({ email: 'noreset@example.com' }),
      403,
      'captcha_failed',
    );
    await expectNothingChanged(a, before);
  });
});
