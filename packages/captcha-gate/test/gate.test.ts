import { fakeProvider, recaptchaSuccess, type FakeProvider } from './fake-provider.js';
import { gateApp, type GateApp } from './gate-app.js';

let provider: FakeProvider;
let t: GateApp;
beforeEach(async () => {
  provider = await fakeProvider();
});
afterEach(async () => {
  await t?.close();
  await provider.close();
});

const body = { email: 'ann@example.com', captchaToken: 'tok-1' };
const stepUpReason = (g: GateApp) =>
  g.logs.filter((l) => l.message.includes('verification code required')).map((l) => l.fields?.reason);

function answerWith(score: number, fields: { action?: string; hostname?: string; ageMs?: number } = {}) {
  provider.reply = () => ({
    json: recaptchaSuccess({
      score,
      action: fields.action ?? 'register',
      hostname: fields.hostname ?? 'app.example.com',
      at: t.clock.now() - (fields.ageMs ?? 5000),
    }),
  });
}

async function expectStepUp(
  res: { status: number; body: { error: { code: string; challenge?: unknown } } },
  g: GateApp,
  reason: string,
  reachedBefore?: number,
) {
  expect(res.status).toBe(403);
  expect(res.body.error.code).toBe('verification_required');
  expect(res.body.error.challenge).toEqual({
    id: expect.any(String),
    channel: 'email',
    expiresAt: g.clock.now() + 600_000,
  });
  expect(g.reached.register).toBe(reachedBefore);
  expect(stepUpReason(g).at(-1)).toBe(reason);
  const message = g.sent.at(-1)!;
  expect(message).toMatchObject({ channel: 'email', to: 'ann@example.com', action: 'register' });
  expect(message.code).toMatch(/^\d{6}$/);
}

describe('captchaGate: the score', () => {
  it('lets a score at or above 0.8 through with no code and sends the provider the right fields', async () => {
    t = gateApp(provider.url);
    answerWith(0.8);
    const res = await t.request
      .post('/register')
      .set('x-captcha-token', 'tok-header')
      .send({ email: 'ann@example.com' });
    expect(res.status).toBe(201);
    expect(res.body.via).toEqual({ passed: 'score', score: 0.8, provider: 'recaptcha' });
    expect(t.sent).toHaveLength(0);
    expect(provider.calls[0]!.body).toEqual({
      secret: 'test-secret',
      response: 'tok-header',
      remoteip: '127.0.0.1',
    });
  });

  it('steps a score below 0.8 up to a code, and the code then lets the same request through once', async () => {
    t = gateApp(provider.url);
    answerWith(0.7);
    const first = await t.request.post('/register').send(body);
    await expectStepUp(first, t, 'score_below_threshold');
    const { id } = first.body.error.challenge;
    const code = t.sent[0]!.code;
    const again = await t.request
      .post('/register')
      .set('x-verification-id', id)
      .set('x-verification-code', code)
      .send({ email: 'ann@example.com' });
    expect(again.status).toBe(201);
    expect(again.body.via).toEqual({ passed: 'verification_code', action: 'register' });
    expect(t.reached.register).toBe(1);
    expect(provider.calls).toHaveLength(1);
  });

  it('applies a per-route threshold', async () => {
    t = gateApp(provider.url);
    provider.reply = () => ({ json: recaptchaSuccess({ score: 0.3, action: 'lenient', at: t.clock.now() }) });
    await t.request.post('/lenient').send(body).expect(201);
  });

  it('steps up a request without a token, without calling the provider', async () => {
    t = gateApp(provider.url);
    await expectStepUp(
      await t.request.post('/register').send({ email: 'ann@example.com' }),
      t,
      'token_missing',
    );
    expect(provider.calls).toHaveLength(0);
  });

  it('steps up a token for another action, another hostname, an old token and one the provider rejects', async () => {
    t = gateApp(provider.url);
    answerWith(0.9, { action: 'login' });
    await expectStepUp(
      await t.request.post('/register').send({ ...body, captchaToken: 'a' }),
      t,
      'action_mismatch',
    );
    answerWith(0.9, { hostname: 'evil.example.net' });
    await expectStepUp(
      await t.request.post('/register').send({ ...body, captchaToken: 'b' }),
      t,
      'hostname_not_allowed',
    );
    answerWith(0.9, { ageMs: 121_000 });
    await expectStepUp(
      await t.request.post('/register').send({ ...body, captchaToken: 'c' }),
      t,
      'token_too_old',
    );
    provider.reply = { json: { success: false, 'error-codes': ['invalid-input-response'] } };
    await expectStepUp(
      await t.request.post('/register').send({ ...body, captchaToken: 'd' }),
      t,
      'token_invalid',
    );
    expect(t.sent).toHaveLength(4);
  });

  it("stepUp: 'score' sends a code only after a solved CAPTCHA; other failures are captcha_failed, sending nothing", async () => {
    t = gateApp(provider.url, { stepUp: 'score' });
    const missing = await t.request.post('/register').send({ email: 'ann@example.com' });
    expect(missing.status).toBe(403);
    expect(missing.body).toEqual({ error: { code: 'captcha_failed', message: expect.any(String) } });
    answerWith(0.9, { action: 'login' });
    const foreign = await t.request.post('/register').send({ ...body, captchaToken: 'f1' });
    expect(foreign.body.error.code).toBe('captcha_failed');
    provider.reply = { json: { success: false, 'error-codes': ['invalid-input-response'] } };
    const rejected = await t.request.post('/register').send({ ...body, captchaToken: 'f2' });
    expect(rejected.body.error.code).toBe('captcha_failed');
    expect(t.sent).toHaveLength(0);
    expect(t.reached.register).toBeUndefined();
    answerWith(0.3);
    await expectStepUp(
      await t.request.post('/register').send({ ...body, captchaToken: 'low' }),
      t,
      'score_below_threshold',
    );
    expect(() => gateApp(provider.url, { stepUp: 'never' as never })).toThrow(/stepUp/);
  });

  it('refuses a replayed token before asking the provider again', async () => {
    t = gateApp(provider.url);
    answerWith(0.95);
    await t.request.post('/register').send(body).expect(201);
    await expectStepUp(await t.request.post('/register').send(body), t, 'token_replayed', 1);
    expect(provider.calls).toHaveLength(1);
    expect(t.reached.register).toBe(1);
  });

  it('steps up when the provider is down, slow or misconfigured, and logs it', async () => {
    t = gateApp(provider.url);
    provider.reply = { status: 500, text: 'oops' };
    await expectStepUp(
      await t.request.post('/register').send({ ...body, captchaToken: 'x1' }),
      t,
      'provider_unavailable',
    );
    provider.reply = { hang: true };
    await expectStepUp(
      await t.request.post('/register').send({ ...body, captchaToken: 'x2' }),
      t,
      'provider_unavailable',
    );
    provider.reply = { json: { success: false, 'error-codes': ['invalid-input-secret'] } };
    await expectStepUp(
      await t.request.post('/register').send({ ...body, captchaToken: 'x3' }),
      t,
      'provider_unavailable',
    );
    const warnings = t.logs.filter((l) => l.level === 'warn').map((l) => l.fields?.reason);
    expect(warnings).toEqual(['status_500', 'timeout', 'provider:invalid-input-secret']);
    expect(JSON.stringify(t.logs)).not.toContain('x2');
  });

  it("answers 503 captcha_unavailable under the 'block' policy, and lets through with a warning under 'allow'", async () => {
    t = gateApp(provider.url, { onProviderDown: 'block' });
    provider.reply = { status: 503, text: 'down' };
    const res = await t.request.post('/register').send(body);
    expect(res.status).toBe(503);
    expect(res.body.error.code).toBe('captcha_unavailable');
    expect(t.sent).toHaveLength(0);
    expect(t.reached.register).toBeUndefined();
    await t.close();

    t = gateApp(provider.url, { onProviderDown: 'allow' });
    const allowed = await t.request.post('/register').send(body);
    expect(allowed.status).toBe(201);
    expect(allowed.body.via).toEqual({ passed: 'provider_down_allowed' });
    expect(t.logs.some((l) => l.level === 'warn' && l.fields?.policy === 'allow')).toBe(true);
  });

  it('answers 400 verification_recipient_required when a step-up has nowhere to send the code', async () => {
    t = gateApp(provider.url);
    const res = await t.request.post('/register').send({ captchaToken: 'z' });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('verification_recipient_required');
    expect(t.sent).toHaveLength(0);
  });

  it('sends the SMS-OTP step-up code by SMS to the phone in the body', async () => {
    t = gateApp(provider.url);
    const res = await t.request.post('/sms').send({ phone: '+447700900123' });
    expect(res.status).toBe(403);
    expect(res.body.error.challenge.channel).toBe('sms');
    expect(t.sent[0]).toMatchObject({ channel: 'sms', to: '+447700900123', action: 'sms_otp' });
  });

  it('rejects bad configuration at start-up', () => {
    expect(() => gateApp(provider.url, { hostnames: [] })).toThrow(/hostnames/);
    expect(() => gateApp(provider.url, { threshold: 1.5 })).toThrow(/threshold/);
    expect(() => gateApp(provider.url, { onProviderDown: 'ignore' as never })).toThrow(/onProviderDown/);
  });
});

describe('captchaGate: the verification code', () => {
  async function challenge(g: GateApp, path = '/register', send: object = { email: 'ann@example.com' }) {
    const res = await g.request.post(path).send(send).expect(403);
    return { id: res.body.error.challenge.id as string, code: g.sent.at(-1)!.code };
  }
  const wrong = (code: string) => String((Number(code) + 1) % 1_000_000).padStart(6, '0');
  const answer = (
    g: GateApp,
    id: string,
    code: string,
    path = '/register',
    send: object = { email: 'ann@example.com' },
  ) => g.request.post(path).set('x-verification-id', id).set('x-verification-code', code).send(send);

  it('refuses a wrong code with verification_failed and the attempts left, and nothing passes', async () => {
    t = gateApp(provider.url);
    const { id, code } = await challenge(t);
    const res = await answer(t, id, wrong(code));
    expect(res.status).toBe(403);
    expect(res.body.error).toEqual({
      code: 'verification_failed',
      message: 'The verification code is not right.',
      attemptsRemaining: 4,
    });
    expect(t.reached.register).toBeUndefined();
    await answer(t, id, code).expect(201);
  });

  it('exhausts a code after 5 wrong answers: even the right code is then refused', async () => {
    t = gateApp(provider.url);
    const { id, code } = await challenge(t);
    const codes: string[] = [];
    for (let i = 0; i < 5; i += 1) codes.push((await answer(t, id, wrong(code))).body.error.code);
    expect(codes).toEqual([
      'verification_failed',
      'verification_failed',
      'verification_failed',
      'verification_failed',
      'verification_exhausted',
    ]);
    const res = await answer(t, id, code);
    expect(res.status).toBe(403);
    expect(res.body.error.code).toBe('verification_exhausted');
    expect(t.reached.register).toBeUndefined();
  });

  it('expires a code after 10 minutes', async () => {
    t = gateApp(provider.url);
    const { id, code } = await challenge(t);
    t.clock.advance(600_000);
    const res = await answer(t, id, code);
    expect(res.status).toBe(403);
    expect(res.body.error.code).toBe('verification_expired');
    expect(t.reached.register).toBeUndefined();
  });

  it('accepts a code once: the second use is verification_used', async () => {
    t = gateApp(provider.url);
    const { id, code } = await challenge(t);
    t.clock.advance(599_000);
    await answer(t, id, code).expect(201);
    const res = await answer(t, id, code);
    expect(res.status).toBe(403);
    expect(res.body.error.code).toBe('verification_used');
    expect(t.reached.register).toBe(1);
  });

  it('binds a code to its action, its client and its recipient', async () => {
    t = gateApp(provider.url, { subject: (req) => `client:${String(req.headers['x-client'] ?? 'a')}` });
    const { id, code } = await challenge(t);
    const sms = await answer(t, id, code, '/sms', { phone: '+447700900123', email: 'ann@example.com' });
    expect(sms.status).toBe(403);
    expect(sms.body.error.code).toBe('verification_failed');
    const otherRecipient = await answer(t, id, code, '/register', { email: 'bob@example.com' });
    expect(otherRecipient.status).toBe(403);
    expect(otherRecipient.body.error.code).toBe('verification_failed');
    const otherClient = await answer(t, id, code).set('x-client', 'b');
    expect(otherClient.status).toBe(403);
    expect(otherClient.body.error.code).toBe('verification_failed');
    expect(t.reached).toEqual({});
    // None of those counted or consumed it: the rightful client still can.
    await answer(t, id, code).expect(201);
  });

  it('does not count answers from the wrong client against the code', async () => {
    t = gateApp(provider.url);
    const { id, code } = await challenge(t);
    for (let i = 0; i < 6; i += 1)
      await answer(t, id, wrong(code), '/register', { email: 'mallory@example.com' }).expect(403);
    await answer(t, id, code).expect(201);
  });

  it('refuses unknown ids as verification_failed', async () => {
    t = gateApp(provider.url);
    const res = await answer(t, 'no-such-id', '123456');
    expect(res.status).toBe(403);
    expect(res.body.error.code).toBe('verification_failed');
  });

  it('limits how many codes one client can have sent per window (429 verification_rate_limited)', async () => {
    t = gateApp(provider.url);
    for (let i = 0; i < 5; i += 1)
      await t.request
        .post('/register')
        .send({ email: `a${i}@example.com` })
        .expect(403);
    const res = await t.request.post('/register').send({ email: 'a9@example.com' });
    expect(res.status).toBe(429);
    expect(res.body.error.code).toBe('verification_rate_limited');
    expect(res.headers['retry-after']).toBe('600');
    expect(t.sent).toHaveLength(5);
  });

  it('keeps only a hash of the code in the store', async () => {
    t = gateApp(provider.url);
    const { id, code } = await challenge(t);
    const raw = await t.store.get(`captcha-gate:code:c:${id}`);
    expect(raw).toBeDefined();
    expect(raw).not.toContain(code);
  });
});
