import { codeFrom, recaptchaReply, startCaptchaApp, type CaptchaTestApp } from './captcha-helpers.js';

const phone = '+447700900123';

describe('reference app: POST /api/otp/sms', () => {
  let a: CaptchaTestApp;
  afterEach(() => a.close());

  it('texts a 6-digit code to a high-scoring client and answers 202 with its id', async () => {
    a = await startCaptchaApp();
    a.provider.reply = () => recaptchaReply(a, 0.9, 'sms_otp');
    const res = await a.t.request.post('/api/otp/sms').set('X-Captcha-Token', 't1').send({ phone });
    expect(res.status).toBe(202);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.body).toEqual({
      otp: { id: expect.any(String), channel: 'sms', expiresAt: a.clock.now() + 600_000 },
    });
    const sms = a.t.services.outbox.messages;
    expect(sms).toHaveLength(1);
    expect(sms[0]).toMatchObject({ channel: 'sms', to: phone });
    expect(codeFrom(a.t, phone)).toMatch(/^\d{6}$/);
    expect(res.text).not.toContain(codeFrom(a.t, phone));
  });

  it('steps a low score up to a code by SMS first, then sends the OTP once that code comes back', async () => {
    a = await startCaptchaApp();
    a.provider.reply = () => recaptchaReply(a, 0.2, 'sms_otp');
    const first = await a.t.request.post('/api/otp/sms').set('X-Captcha-Token', 't2').send({ phone });
    expect(first.status).toBe(403);
    expect(first.body.error).toMatchObject({ code: 'verification_required', challenge: { channel: 'sms' } });
    expect(a.t.services.outbox.messages).toHaveLength(1);
    const stepUp = codeFrom(a.t, phone);
    const second = await a.t.request
      .post('/api/otp/sms')
      .set('X-Verification-Id', first.body.error.challenge.id)
      .set('X-Verification-Code', stepUp)
      .send({ phone });
    expect(second.status).toBe(202);
    expect(a.t.services.outbox.messages).toHaveLength(2);
  });

  it.each(['07700900123', '+0123456789', '+44 7700 900123', 12345, undefined])(
    'refuses the phone %p with 400 invalid_phone and sends nothing',
    async (bad) => {
      a = await startCaptchaApp();
      a.provider.reply = () => recaptchaReply(a, 0.9, 'sms_otp');
      const res = await a.t.request
        .post('/api/otp/sms')
        .set('X-Captcha-Token', `t-${String(bad)}`)
        .send({ phone: bad });
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe('invalid_phone');
      expect(a.t.services.outbox.messages).toHaveLength(0);
    },
  );

  it('answers a low score without a valid phone with 400 verification_recipient_required, sending nothing', async () => {
    a = await startCaptchaApp();
    a.provider.reply = () => recaptchaReply(a, 0.1, 'sms_otp');
    const res = await a.t.request
      .post('/api/otp/sms')
      .set('X-Captcha-Token', 't3')
      .send({ phone: 'not-a-phone' });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('verification_recipient_required');
    expect(a.t.services.outbox.messages).toHaveLength(0);
  });

  it('sends no SMS at all without a CAPTCHA token: 403 captcha_failed', async () => {
    a = await startCaptchaApp();
    const res = await a.t.request.post('/api/otp/sms').send({ phone });
    expect(res.status).toBe(403);
    expect(res.body.error.code).toBe('captcha_failed');
    expect(a.t.services.outbox.messages).toHaveLength(0);
    expect(a.provider.calls).toHaveLength(0);
  });

  it('does not accept a registration token (action register) for SMS', async () => {
    a = await startCaptchaApp();
    a.provider.reply = () => recaptchaReply(a, 0.9, 'register');
    const res = await a.t.request.post('/api/otp/sms').set('X-Captcha-Token', 't4').send({ phone });
    expect(res.status).toBe(403);
    expect(res.body.error.code).toBe('captcha_failed');
    // Nothing went out: neither an OTP nor a step-up code to a number nobody proved.
    expect(a.t.services.outbox.messages).toHaveLength(0);
  });
});
