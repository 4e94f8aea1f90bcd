import { manualClock, memoryStore, type ManualClock } from '@shieldwall/core';
import {
  memoryLogger,
  outboxWorker,
  smtpTransport,
  storeOutboxRepository,
  type SmsSender,
} from '@shieldwall/reference-app';
import { startTestApp, type TestApp } from '../helpers/reference-app.js';
import { fakeProvider, type FakeProvider } from './captcha-helpers.js';
import { goodPassword, productionEnv, setCookies } from './auth-helpers.js';
import {
  hasOpenssl,
  selfSignedCertificate,
  startSmtp,
  startTwilio,
  type LoopbackSmtp,
  type LoopbackTwilio,
} from './messages-helpers.js';

const origin = 'https://app.example.test';
const https = { 'X-Forwarded-Proto': 'https' };

/** A reCAPTCHA v3 answer for the production origin's host. */
const recaptcha = (clock: ManualClock, score: number, action: string) => ({
  json: {
    success: true,
    score,
    action,
    hostname: 'app.example.test',
    challenge_ts: new Date(clock.now() - 2000).toISOString().replace(/\.\d{3}Z$/, 'Z'),
  },
});

const linkToken = (text: string, path: string): string => {
  const match = new RegExp(`${origin.replace(/\./g, '\\.')}${path}#token=([A-Za-z0-9_-]{43})`).exec(text);
  if (!match) throw new Error(`no ${path} link in the mail`);
  return match[1]!;
};

// The STARTTLS server needs a certificate the app verifies; openssl makes one.
const describeWithOpenssl = hasOpenssl ? describe : describe.skip;
if (!hasOpenssl) console.warn('messages-smtp: openssl not found; the production SMTP suite is skipped');

describeWithOpenssl(
  'reference app in production: e-mail over SMTP (STARTTLS, AUTH) and SMS through Twilio, on loopback',
  () => {
    let smtp: LoopbackSmtp;
    let twilio: LoopbackTwilio;
    let captcha: FakeProvider;
    let clock: ManualClock;
    let t: TestApp;
    let tls: ReturnType<typeof selfSignedCertificate>;

    beforeAll(() => {
      tls = selfSignedCertificate();
    });
    afterAll(() => tls.cleanup());

    beforeEach(async () => {
      smtp = await startSmtp({ auth: { user: 'mailer', pass: 's3cret' }, tls });
      twilio = await startTwilio();
      captcha = await fakeProvider('/siteverify');
      clock = manualClock(Date.now());
      t = await startTestApp(
        {
          ...productionEnv(),
          BCRYPT_COST: '12',
          CAPTCHA_PROVIDER: 'recaptcha',
          CAPTCHA_SECRET: 'captcha-secret',
          CAPTCHA_VERIFY_URL: captcha.url,
          SMTP_URL: smtp.url,
          SMTP_TLS_CA_FILE: tls.certFile,
          MAIL_FROM: 'Shieldwall <no-reply@example.test>',
          SMS_ROUTES: 'on',
          SMS_PROVIDER: 'twilio',
          TWILIO_ACCOUNT_SID: 'AC00000000000000000000000000000001',
          TWILIO_AUTH_TOKEN: 'twilio-token',
          TWILIO_FROM: '+15005550006',
          TWILIO_BASE_URL: twilio.url,
        },
        { clock },
      );
    });
    afterEach(async () => {
      await t.close();
      await smtp.close();
      await twilio.close();
      await captcha.close();
    });

    it('a new user registers, gets the verification e-mail, follows its link, and resets the password by e-mail', async () => {
      const email = 'new.user@example.com';
      captcha.reply = recaptcha(clock, 0.9, 'register');
      await t.request
        .post('/api/auth/register')
        .set(https)
        .set('X-Captcha-Token', 'tok')
        .send({ email, password: goodPassword })
        .expect(202);

      const welcome = await smtp.waitFor(email);
      // Over STARTTLS, verified against the CA the deployment named, and authenticated.
      expect(welcome).toMatchObject({ secure: true, user: 'mailer', rcptTo: [email] });
      const mail = welcome.parsed;
      expect(mail.from?.value).toEqual([{ address: 'no-reply@example.test', name: 'Shieldwall' }]);
      expect(mail.subject).toBe('Confirm your e-mail address');
      expect(mail.messageId).toMatch(
        /^<[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}@example\.test>$/,
      );
      expect(mail.date?.getTime()).toBe(Math.floor(clock.now() / 1000) * 1000);
      // A message the person asked for: no List-Unsubscribe.
      expect(mail.headers.has('list-unsubscribe')).toBe(false);
      const token = linkToken(mail.text ?? '', '/verify-email');
      expect(mail.html).toContain(`href="${origin}/verify-email#token=${token}"`);

      await t.request.post('/api/auth/verify-email').set(https).send({ token }).expect(204);
      await t.request.post('/api/auth/login').set(https).send({ email, password: goodPassword }).expect(200);

      captcha.reply = recaptcha(clock, 0.9, 'password_reset');
      await t.request
        .post('/api/auth/password-reset')
        .set(https)
        .set('X-Captcha-Token', 'tok-reset')
        .send({ email })
        .expect(202);
      const reset = (await smtp.waitFor(email, 2)).parsed;
      expect(reset.subject).toBe('Reset your password');
      const resetToken = linkToken(reset.text ?? '', '/reset-password');
      const newPassword = 'a whole new correct horse';
      await t.request
        .post('/api/auth/password-reset/confirm')
        .set(https)
        .send({ token: resetToken, password: newPassword })
        .expect(204);
      await t.request.post('/api/auth/login').set(https).send({ email, password: newPassword }).expect(200);
      await t.request.post('/api/auth/login').set(https).send({ email, password: goodPassword }).expect(401);

      // Production keeps no bodies in memory and logs no link or token.
      expect(t.services.outbox.messages).toHaveLength(0);
      const logged = JSON.stringify(t.logger.lines);
      expect(logged).not.toContain(token);
      expect(logged).not.toContain(resetToken);
      expect(logged).toContain('outbox message sent');
    });

    it('a low-score registration completes with the code sent by e-mail', async () => {
      const email = 'low.score@example.com';
      captcha.reply = recaptcha(clock, 0.2, 'register');
      const first = await t.request
        .post('/api/auth/register')
        .set(https)
        .set('X-Captcha-Token', 'tok')
        .send({ email, password: goodPassword });
      expect(first.status).toBe(403);
      expect(first.body.error).toMatchObject({
        code: 'verification_required',
        challenge: { channel: 'email' },
      });
      const codeMail = (await smtp.waitFor(email)).parsed;
      expect(codeMail.subject).toBe('Your verification code');
      const code = /\bis (\d{6})\b/.exec(codeMail.text ?? '')![1]!;
      expect(codeMail.html).toContain(code);
      expect(JSON.stringify(t.logger.lines)).not.toContain(code);

      await t.request
        .post('/api/auth/register')
        .set(https)
        .set('X-Verification-Id', first.body.error.challenge.id)
        .set('X-Verification-Code', code)
        .send({ email, password: goodPassword })
        .expect(202);
      const welcome = (await smtp.waitFor(email, 2)).parsed;
      await t.request
        .post('/api/auth/verify-email')
        .set(https)
        .send({ token: linkToken(welcome.text ?? '', '/verify-email') })
        .expect(204);
    });

    it('an SMS code is sent through Twilio and verified from the session that asked', async () => {
      const phone = '+447700900123';
      captcha.reply = recaptcha(clock, 0.9, 'sms_otp');
      const asked = await t.request
        .post('/api/otp/sms')
        .set(https)
        .set('X-Captcha-Token', 'tok')
        .send({ phone })
        .expect(202);
      const session = setCookies(asked)['__Host-sw_otp'];
      expect(session).toMatch(/^[A-Za-z0-9_-]{43}$/);
      const line = (asked.headers['set-cookie'] as unknown as string[]).find((c) =>
        c.startsWith('__Host-sw_otp='),
      );
      expect(line).toMatch(/; Path=\/; .*HttpOnly; Secure; SameSite=Strict$/);

      for (let i = 0; i < 200 && twilio.delivered().length === 0; i += 1)
        await new Promise((r) => setTimeout(r, 5));
      const [sent] = twilio.delivered();
      expect(sent).toMatchObject({ form: { To: phone, From: '+15005550006' } });
      const code = /^(\d{6}) is your verification code/.exec(sent!.form.Body!)![1]!;

      const refused = await t.request
        .post('/api/otp/sms/verify')
        .set(https)
        .send({ phone, id: asked.body.otp.id, code });
      expect(refused.status).toBe(403);
      expect(refused.body.error.code).toBe('verification_failed');
      const ok = await t.request
        .post('/api/otp/sms/verify')
        .set(https)
        .set('Cookie', `__Host-sw_otp=${session}`)
        .send({ phone, id: asked.body.otp.id, code });
      expect(ok.status).toBe(200);
      expect(ok.body.phone).toMatchObject({ number: phone, verified: true });
      expect(JSON.stringify(t.logger.lines)).not.toContain(code);
    });
  },
);

describe('SMTP transport failures', () => {
  let smtp: LoopbackSmtp;
  afterEach(() => smtp.close());
  const noSms: SmsSender = { send: () => Promise.reject(new Error('no SMS here')), close: async () => {} };

  async function setUp(requireTls: boolean) {
    const clock = manualClock(Date.now());
    const store = memoryStore({ clock });
    const repository = storeOutboxRepository(store, { clock });
    const mail = smtpTransport({
      url: smtp.url,
      from: 'no-reply@example.test',
      requireTls,
      timeoutMs: 10_000,
    });
    const logger = memoryLogger();
    const worker = outboxWorker({ repository, mail, sms: noSms, clock, logger, baseDelayMs: 1000 });
    return {
      clock,
      repository,
      worker,
      logger,
      close: async () => (await mail.close(), await store.close()),
    };
  }

  it('dead-letters a 550 for the recipient and retries a server answering 421, delivering it once it recovers', async () => {
    smtp = await startSmtp();
    const s = await setUp(false);
    smtp.refuse.add('gone@example.com');
    smtp.down = true;
    const dead = await s.repository.add({
      channel: 'email',
      to: 'gone@example.com',
      subject: 'x',
      text: 'x',
    });
    expect(await s.worker.runOnce()).toEqual({ sent: 0, retried: 1, dead: 0 });
    smtp.down = false;
    s.clock.advance(1000);
    expect(await s.worker.runOnce()).toEqual({ sent: 0, retried: 0, dead: 1 });
    expect(await s.repository.find(dead)).toMatchObject({
      state: 'dead',
      lastError: 'smtp 550',
      attempts: 2,
    });

    const ok = await s.repository.add({
      channel: 'email',
      to: 'here@example.com',
      subject: 'hi',
      text: 'hello',
    });
    smtp.down = true;
    expect(await s.worker.runOnce()).toEqual({ sent: 0, retried: 1, dead: 0 });
    expect((await s.repository.find(ok))!.lastError).toBe('EENVELOPE 421');
    smtp.down = false;
    s.clock.advance(1000);
    expect(await s.worker.runOnce()).toEqual({ sent: 1, retried: 0, dead: 0 });
    expect(smtp.received.map((m) => m.rcptTo)).toEqual([['here@example.com']]);
    await s.close();
  });

  it('with STARTTLS required, sends nothing to a server that does not offer it, and keeps the message', async () => {
    smtp = await startSmtp();
    const s = await setUp(true);
    const id = await s.repository.add({
      channel: 'email',
      to: 'a@example.com',
      subject: 'x',
      text: 'secret link',
    });
    expect(await s.worker.runOnce()).toEqual({ sent: 0, retried: 1, dead: 0 });
    expect(smtp.received).toHaveLength(0);
    expect(await s.repository.find(id)).toMatchObject({ state: 'pending', attempts: 1 });
    await s.close();
  });
});
