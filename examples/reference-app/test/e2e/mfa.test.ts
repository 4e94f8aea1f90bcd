import { manualClock, type ManualClock } from '@shieldwall/core';
import { startTestApp, type TestApp } from '../helpers/reference-app.js';
import { totp } from './captcha-helpers.js';
import { fastHashing, signUp } from './auth-helpers.js';

const wrong = (code: string) => String((Number(code) + 1) % 1e6).padStart(6, '0');

describe('reference app: MFA enrolment', () => {
  let t: TestApp;
  let clock: ManualClock;
  beforeEach(async () => {
    clock = manualClock(Date.now());
    t = await startTestApp(fastHashing, { clock });
    await signUp(t, 'mia@example.com');
  });
  afterEach(() => t.close());

  const signIn = () =>
    t.agent
      .post('/api/auth/login')
      .send({ email: 'mia@example.com', password: 'correct horse battery staple' })
      .expect(200);
  const user = async () => (await t.services.users.findByEmail('mia@example.com'))!;

  it('needs a signed-in user', async () => {
    const res = await t.request.post('/api/auth/mfa/enroll').send({ deviceId: 'phone-12345678' });
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe('unauthenticated');
  });

  it('enrols a device with its first TOTP code, and from then on only that device may re-enrol', async () => {
    await signIn();
    const started = await t.agent.post('/api/auth/mfa/enroll').send({ deviceId: 'phone-12345678' });
    expect(started.status).toBe(200);
    expect(started.headers['cache-control']).toBe('no-store');
    const { secret, uri } = started.body.mfa;
    expect(uri).toContain('otpauth://totp/Shieldwall:mia%40example.com');
    expect((await user()).mfa).toBeUndefined();

    const bad = await t.agent
      .post('/api/auth/mfa/verify')
      .send({ deviceId: 'phone-12345678', code: wrong(totp(secret, clock.now())) });
    expect(bad.status).toBe(403);
    expect(bad.body.error.code).toBe('mfa_code_invalid');
    expect((await user()).mfa).toBeUndefined();

    const ok = await t.agent
      .post('/api/auth/mfa/verify')
      .send({ deviceId: 'phone-12345678', code: totp(secret, clock.now()) });
    expect(ok.status).toBe(200);
    expect(ok.body).toEqual({ mfa: { deviceId: 'phone-12345678', enabledAt: clock.now() } });
    expect(ok.text).not.toContain(secret);
    // Stored sealed, bound to the user: the plaintext secret is nowhere in the user record.
    const stored = (await user()).mfa!;
    expect(stored).toEqual({
      secret: expect.stringMatching(/^swe1\./),
      deviceId: 'phone-12345678',
      enabledAt: clock.now(),
    });
    expect(JSON.stringify(stored)).not.toContain(secret);
    const opened = await t.services.sealer.open(stored.secret, {
      user: (await user()).id,
      purpose: 'mfa-totp-secret',
    });
    expect(Buffer.from(opened).toString('utf8')).toBe(secret);

    // A session alone cannot rebind MFA to another device.
    clock.advance(60_000);
    const hijack = await t.agent.post('/api/auth/mfa/enroll').send({ deviceId: 'attacker-0000001' });
    expect(hijack.status).toBe(403);
    expect(hijack.body.error.code).toBe('mfa_device_required');
    const again = await t.agent
      .post('/api/auth/mfa/verify')
      .send({ deviceId: 'attacker-0000001', code: '000000' });
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('mfa_enrollment_not_started');
    expect((await user()).mfa?.deviceId).toBe('phone-12345678');

    // The bound device may.
    const rebind = await t.agent
      .post('/api/auth/mfa/enroll')
      .set('X-MFA-Device-Id', 'phone-12345678')
      .set('X-MFA-Code', totp(secret, clock.now()))
      .send({ deviceId: 'phone-new-0000001' });
    expect(rebind.status).toBe(200);
  });

  it('refuses an enrolment code after 10 minutes', async () => {
    await signIn();
    const { secret } = (await t.agent.post('/api/auth/mfa/enroll').send({ deviceId: 'phone-12345678' })).body
      .mfa;
    clock.advance(10 * 60_000);
    const res = await t.agent
      .post('/api/auth/mfa/verify')
      .send({ deviceId: 'phone-12345678', code: totp(secret, clock.now()) });
    expect(res.status).toBe(409);
    expect(res.body.error.code).toBe('mfa_enrollment_not_started');
    expect((await user()).mfa).toBeUndefined();
  });

  it('refuses an implausible device id with 400 invalid_device_id', async () => {
    await signIn();
    const res = await t.agent.post('/api/auth/mfa/enroll').send({ deviceId: 'x' });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('invalid_device_id');
  });
});
