import { goodPassword, mailTo } from './auth-helpers.js';
import { recaptchaReply, startCaptchaApp, type CaptchaTestApp } from './captcha-helpers.js';

// The per-destination cap (src/messages/destination-cap.ts): the per-IP limits and the CAPTCHA bound what one
// client may ask for, not what one phone or mailbox receives from many clients. Each request here comes from
// another IP with its own solved CAPTCHA, as a botnet with a CAPTCHA farm would send them.

const phone = '+447700900123';
const email = 'victim@example.com';
const ip = (n: number): string => `203.0.113.${n}`;

describe('reference app: at most MESSAGES_PER_DESTINATION messages per destination and window', () => {
  let a: CaptchaTestApp;
  afterEach(() => a.close());

  const start = (env: Record<string, string> = {}) =>
    startCaptchaApp('recaptcha', { TRUST_PROXY: 'loopback', ...env });
  const smsTo = (to: string, n: number) =>
    a.t.request
      .post('/api/otp/sms')
      .set('X-Forwarded-For', ip(n))
      .set('X-Captcha-Token', `sms-${n}`)
      .send({ phone: to });
  const sentTo = (to: string) => a.t.services.outbox.messages.filter((message) => message.to === to);

  it('answers the 6th SMS to one number 429 destination_rate_limited with Retry-After, and texts nothing', async () => {
    a = await start();
    a.provider.reply = () => recaptchaReply(a, 0.9, 'sms_otp');
    for (let n = 1; n <= 5; n += 1) await smsTo(phone, n).expect(202);
    const sixth = await smsTo(phone, 6);
    expect(sixth.status).toBe(429);
    expect(sixth.body.error.code).toBe('destination_rate_limited');
    expect(Number(sixth.headers['retry-after'])).toBeGreaterThan(0);
    expect(Number(sixth.headers['retry-after'])).toBeLessThanOrEqual(3600);
    expect(sixth.headers['set-cookie']).toBeUndefined();
    expect(sentTo(phone)).toHaveLength(5);
    // Another number is not affected; the window's end lets the first number through again.
    await smsTo('+447700900999', 7).expect(202);
    a.clock.advance(3600_000);
    await smsTo(phone, 8).expect(202);
    expect(sentTo(phone)).toHaveLength(6);
  });

  it('answers the 6th reset for one address 202 as before, and mails nothing more', async () => {
    a = await start();
    await a.t.services.users.create({ email, emailVerified: true });
    a.provider.reply = () => recaptchaReply(a, 0.9, 'password_reset');
    const reset = (address: string, n: number) =>
      a.t.request
        .post('/api/auth/password-reset')
        .set('X-Forwarded-For', ip(n))
        .set('X-Captcha-Token', `reset-${n}`)
        .send({ email: address });
    for (let n = 1; n <= 5; n += 1) {
      await reset(email, n).expect(202);
      await mailTo(a.t, email, n);
    }
    const sixth = await reset(email, 6);
    expect(sixth.status).toBe(202);
    expect(sixth.body).toEqual({ status: 'accepted' });
    // The mail is written after the answer: wait for the drop to be logged, then count.
    for (let i = 0; i < 200 && !a.t.logger.lines.some((line) => line.message === 'message dropped'); i += 1)
      await new Promise((resolve) => setTimeout(resolve, 5));
    const dropped = a.t.logger.lines.filter((line) => line.message === 'message dropped');
    expect(dropped).toEqual([
      {
        level: 'info',
        message: 'message dropped',
        reason: 'destination_cap',
        channel: 'email',
        kind: 'password_reset',
      },
    ]);
    expect(JSON.stringify(a.t.logger.lines)).not.toContain(email);
    expect(sentTo(email)).toHaveLength(5);
    // Case and a plus tag name the same mailbox: they share its budget.
    await reset('Victim+x@Example.com', 7).expect(202);
    expect(sentTo('victim+x@example.com')).toHaveLength(0);
  });

  it('counts registration mails to a taken address too (202, no sixth mail)', async () => {
    a = await start({ MESSAGES_PER_DESTINATION: '2' });
    a.provider.reply = () => recaptchaReply(a, 0.9, 'register');
    const register = (n: number) =>
      a.t.request
        .post('/api/auth/register')
        .set('X-Forwarded-For', ip(n))
        .set('X-Captcha-Token', `register-${n}`)
        .send({ email, password: goodPassword });
    for (let n = 1; n <= 3; n += 1)
      expect((await register(n).expect(202)).body).toEqual({ status: 'verification_sent' });
    expect(sentTo(email)).toHaveLength(2);
  });
});
