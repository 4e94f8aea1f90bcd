import request from 'supertest';
import { manualClock, type ManualClock } from '@shieldwall/core';
import { startTestApp, type TestApp } from '../helpers/reference-app.js';
import { codeFrom } from './captcha-helpers.js';
import { setCookies } from './auth-helpers.js';

const phone = '+447700900123';
const otherPhone = '+447700900456';

describe('reference app: POST /api/otp/sms/verify', () => {
  let t: TestApp;
  let clock: ManualClock;
  let agent: ReturnType<typeof request.agent>;

  beforeEach(async () => {
    clock = manualClock(Date.now());
    t = await startTestApp({}, { clock });
    agent = request.agent(t.app);
  });
  afterEach(() => t.close());

  /** Asks for a code in `session` and returns its id and the code from the SMS. */
  async function ask(session = agent, to = phone): Promise<{ id: string; code: string }> {
    const res = await session.post('/api/otp/sms').send({ phone: to }).expect(202);
    return { id: res.body.otp.id as string, code: codeFrom(t, to) };
  }
  const verify = (body: unknown, session = agent) => session.post('/api/otp/sms/verify').send(body as object);
  const wrong = (code: string) => (code === '000000' ? '000001' : '000000');

  /** A wrong answer now leaves `remaining` attempts: proof that the refusals before it counted nothing. */
  async function expectUntouched(id: string, code: string, remaining = 4): Promise<void> {
    const res = await verify({ phone, id, code: wrong(code) });
    expect(res.status).toBe(403);
    expect(res.body.error).toMatchObject({ code: 'verification_failed', attemptsRemaining: remaining });
    await verify({ phone, id, code }).expect(200);
  }

  it('binds the code to an HttpOnly, SameSite=Strict session cookie and verifies it once', async () => {
    const res = await agent.post('/api/otp/sms').send({ phone }).expect(202);
    const cookie = (res.headers['set-cookie'] as unknown as string[]).find((line) =>
      line.startsWith('sw_otp='),
    );
    expect(cookie).toMatch(
      /^sw_otp=[A-Za-z0-9_-]{43}; Max-Age=3600; Path=\/; Expires=[^;]+; HttpOnly; SameSite=Strict$/,
    );
    const code = codeFrom(t, phone);
    const ok = await verify({ phone, id: res.body.otp.id, code });
    expect(ok.status).toBe(200);
    expect(ok.headers['cache-control']).toBe('no-store');
    expect(ok.body).toEqual({ phone: { number: phone, verified: true, verifiedAt: clock.now() } });
    expect(ok.text).not.toContain(code);
  });

  it('keeps the session cookie for a second code, and a second code does not unlock with the first id', async () => {
    const first = await ask();
    const res = await agent.post('/api/otp/sms').send({ phone }).expect(202);
    expect(setCookies(res)).not.toHaveProperty('sw_otp');
    const second = codeFrom(t, phone);
    await verify({ phone, id: res.body.otp.id, code: second }).expect(200);
    await verify({ phone, id: first.id, code: first.code }).expect(200);
  });

  it('refuses a wrong code with 403 verification_failed and the attempts left', async () => {
    const { id, code } = await ask();
    const res = await verify({ phone, id, code: wrong(code) });
    expect(res.status).toBe(403);
    expect(res.body).toEqual({
      error: { code: 'verification_failed', message: expect.any(String), attemptsRemaining: 4 },
    });
    await expectUntouched(id, code, 3);
  });

  it('refuses a reused code with 403 verification_used', async () => {
    const { id, code } = await ask();
    await verify({ phone, id, code }).expect(200);
    const res = await verify({ phone, id, code });
    expect(res.status).toBe(403);
    expect(res.body.error.code).toBe('verification_used');
  });

  it('refuses an expired code with 403 verification_expired', async () => {
    const { id, code } = await ask();
    clock.advance(600_000);
    const res = await verify({ phone, id, code });
    expect(res.status).toBe(403);
    expect(res.body.error.code).toBe('verification_expired');
  });

  it('refuses every answer after five wrong ones with 403 verification_exhausted, the right one too', async () => {
    const { id, code } = await ask();
    const codes: string[] = [];
    for (let i = 0; i < 5; i += 1)
      codes.push((await verify({ phone, id, code: wrong(code) })).body.error.code);
    expect(codes).toEqual([...Array(4).fill('verification_failed'), 'verification_exhausted']);
    const res = await verify({ phone, id, code });
    expect(res.status).toBe(403);
    expect(res.body.error.code).toBe('verification_exhausted');
  });

  it('refuses the code for another number with 403 verification_failed, counting nothing', async () => {
    const { id, code } = await ask();
    const res = await verify({ phone: otherPhone, id, code });
    expect(res.status).toBe(403);
    expect(res.body.error).toEqual({ code: 'verification_failed', message: expect.any(String) });
    await expectUntouched(id, code);
  });

  it('refuses the code from another session, or from none, with 403 verification_failed, counting nothing', async () => {
    const { id, code } = await ask();
    const stranger = request.agent(t.app);
    // No session cookie at all.
    const bare = await verify({ phone, id, code }, stranger);
    expect(bare.status).toBe(403);
    expect(bare.body.error.code).toBe('verification_failed');
    // A session of its own, which asked for a code for the same number.
    await ask(stranger);
    const other = await verify({ phone, id, code }, stranger);
    expect(other.status).toBe(403);
    expect(other.body.error).toEqual({ code: 'verification_failed', message: expect.any(String) });
    expect(setCookies(other)).toEqual({});
    await expectUntouched(id, code);
  });

  it.each([
    ['a missing field', (id: string, code: string) => ({ phone, id, codee: code })],
    ['an extra field', (id: string, code: string) => ({ phone, id, code, userId: 'u1' })],
    ['a numeric code', (id: string) => ({ phone, id, code: 123456 })],
    ['an id that is not base64url', (_id: string, code: string) => ({ phone, id: '../../x', code })],
    ['an array', () => [phone]],
  ])('refuses %s with 400 invalid_request, counting nothing', async (_name, body) => {
    const { id, code } = await ask();
    const res = await verify(body(id, code));
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('invalid_request');
    expect(res.text).not.toContain('../../x');
    await expectUntouched(id, code);
  });

  it.each(['07700900123', '+44 7700 900123', '+0123456789'])(
    'refuses the phone %p with 400 invalid_phone, counting nothing',
    async (bad) => {
      const { id, code } = await ask();
      const res = await verify({ phone: bad, id, code });
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe('invalid_phone');
      await expectUntouched(id, code);
    },
  );
});

describe('reference app: SMS_ROUTES=off', () => {
  it('mounts neither SMS route', async () => {
    const t = await startTestApp({ SMS_ROUTES: 'off' });
    try {
      const ask = await t.request.post('/api/otp/sms').send({ phone });
      expect(ask.status).toBe(404);
      const check = await t.request.post('/api/otp/sms/verify').send({ phone, id: 'x', code: '123456' });
      expect(check.status).toBe(404);
      expect(t.services.outbox.messages).toHaveLength(0);
    } finally {
      await t.close();
    }
  });
});
