import { randomInt } from 'node:crypto';
import { challengeHeaders, manualClock, type ManualClock } from '@shieldwall/core';
import { connectRedis, describeWithRedis, type ConnectedRedis } from '../helpers/redis.js';
import { startTestApp, type TestApp } from '../helpers/reference-app.js';

const fastHashing = { BCRYPT_COST: '4' };
const phone = '+15555550123';

describe('reference app: rate limits', () => {
  let t: TestApp;
  let clock: ManualClock;
  const start = async (env: Record<string, string> = {}): Promise<TestApp> => {
    clock = manualClock(Date.now());
    t = await startTestApp({ ...fastHashing, ...env }, { clock });
    return t;
  };
  afterEach(async () => {
    await t.close();
  });

  it('every /api route carries the general api budget, with legacy and IETF headers; /healthz does not', async () => {
    await start();
    const first = await t.request.get('/api/auth/me').expect(401);
    expect(first.headers['x-ratelimit-limit']).toBe('300');
    expect(first.headers['x-ratelimit-remaining']).toBe('299');
    expect(first.headers['ratelimit']).toBe('limit=300, remaining=299, reset=60');
    expect(first.headers['ratelimit-policy']).toBe('300;w=60');
    const second = await t.request.get('/api/auth/me').expect(401);
    expect(second.headers['x-ratelimit-remaining']).toBe('298');
    const health = await t.request.get('/healthz').expect(200);
    expect(health.headers['x-ratelimit-limit']).toBeUndefined();
  });

  it('SMS OTP is tightly limited: 3 per 15 minutes, then 429 rate_limited with Retry-After, and no SMS', async () => {
    await start();
    for (let i = 0; i < 3; i += 1) {
      const ok = await t.request.post('/api/otp/sms').send({ phone }).expect(202);
      expect(ok.headers['x-ratelimit-limit']).toBe('3');
      expect(ok.headers['x-ratelimit-remaining']).toBe(String(2 - i));
    }
    const sent = t.services.outbox.messages.length;
    clock.advance(5 * 60_000);
    const refused = await t.request.post('/api/otp/sms').send({ phone }).expect(429);
    expect(refused.body).toEqual({
      error: { code: 'rate_limited', message: 'Too many requests; try again later.', retryAfter: 600 },
    });
    expect(refused.headers['retry-after']).toBe('600');
    expect(refused.headers['x-ratelimit-remaining']).toBe('0');
    expect(refused.headers['ratelimit']).toBe('limit=3, remaining=0, reset=600');
    expect(t.services.outbox.messages).toHaveLength(sent);
    clock.advance(10 * 60_000);
    await t.request.post('/api/otp/sms').send({ phone }).expect(202);
  });

  it('a forged X-Forwarded-For or CF-Connecting-IP buys no fresh budget', async () => {
    await start({ TRUST_PROXY: 'cloudflare' });
    for (let i = 0; i < 3; i += 1) {
      await t.request
        .post('/api/otp/sms')
        .set('X-Forwarded-For', `198.51.100.${i}`)
        .send({ phone })
        .expect(202);
    }
    await t.request
      .post('/api/otp/sms')
      .set('X-Forwarded-For', '198.51.100.77')
      .set('CF-Connecting-IP', '198.51.100.78')
      .send({ phone })
      .expect(429);
  });

  it('password reset has its own budget, apart from SMS OTP', async () => {
    await start();
    for (let i = 0; i < 3; i += 1) await t.request.post('/api/otp/sms').send({ phone }).expect(202);
    await t.request.post('/api/otp/sms').send({ phone }).expect(429);
    const reset = await t.request
      .post('/api/auth/password-reset')
      .send({ email: 'a@example.com' })
      .expect(202);
    expect(reset.headers['x-ratelimit-limit']).toBe('5');
    expect(reset.headers['x-ratelimit-remaining']).toBe('4');
  });

  it('login over the limit asks for the e-mailed verification code; the right code passes that request only', async () => {
    await start();
    const email = 'someone@example.com';
    const login = () => t.request.post('/api/auth/login').send({ email, password: 'wrong password 1' });
    for (let i = 0; i < 10; i += 1) await login().expect(401);
    const challenged = await login().expect(403);
    expect(challenged.body.error.code).toBe('verification_required');
    const { id, channel } = challenged.body.error.challenge as { id: string; channel: string };
    expect(channel).toBe('email');
    const code = /\b(\d{6})\b/.exec(t.services.outbox.latestTo(email)!.text)![1]!;

    const wrong = await login().set(challengeHeaders.id, id).set(challengeHeaders.answer, '000000');
    expect(wrong.status).toBe(403);
    const passed = await login().set(challengeHeaders.id, id).set(challengeHeaders.answer, code).expect(401);
    expect(passed.body.error.code).toBe('invalid_credentials');
    expect(passed.headers['x-ratelimit-remaining']).toBe('0');
    // No new budget: the next attempt is challenged again (item 4 of issue 14: no refill by solving codes).
    const next = await login().expect(403);
    expect(next.body.error.code).toBe('verification_required');
  });
});

describeWithRedis('reference app: rate limits in Redis (REDIS_URL)', () => {
  let redis: ConnectedRedis;
  const apps: TestApp[] = [];
  beforeAll(async () => {
    redis = await connectRedis();
  });
  afterAll(async () => {
    for (const app of apps) await app.close();
    await redis.close();
  });

  it('two app instances share one budget', async () => {
    // Behind a trusted proxy on loopback, each run is a client of its own, so parallel suites never share a key.
    const ip = `10.${randomInt(256)}.${randomInt(256)}.${randomInt(1, 255)}`;
    // The OTP route also caps codes per recipient in the shared Redis (SMS pumping), so each run texts its own number.
    const recipient = `+1555${randomInt(1_000_000, 10_000_000)}`;
    const env = { ...fastHashing, REDIS_URL: process.env.REDIS_URL!, TRUST_PROXY: 'loopback' };
    const a = await startTestApp(env);
    const b = await startTestApp(env);
    apps.push(a, b);
    try {
      const send = (app: TestApp) =>
        app.request.post('/api/otp/sms').set('X-Forwarded-For', ip).send({ phone: recipient });
      await send(a).expect(202);
      expect((await send(b).expect(202)).headers['x-ratelimit-remaining']).toBe('1');
      await send(a).expect(202);
      const refused = await send(b).expect(429);
      expect(refused.body.error.code).toBe('rate_limited');
      expect(await redis.client.get(`sw:rl:{smsOtp}:${ip}`)).toBe('4');
      expect(await redis.client.pTTL(`sw:rl:{smsOtp}:${ip}`)).toBeGreaterThan(14 * 60_000);
    } finally {
      await redis.client.del([`sw:rl:{smsOtp}:${ip}`, `sw:rl:{api}:${ip}`]);
    }
  });
});
