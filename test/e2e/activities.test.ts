// TEMPORARY, until the rate-limits and key-exchange features land: their placeholders refuse every request (503).
// This lets only those two placeholders pass; once the features mount they replace guards.limit and
// guards.requireChannel and this has no effect (the requests below must then go over the encrypted channel).
jest.mock('../../examples/reference-app/src/guards.js', () => {
  const actual = jest.requireActual('../../examples/reference-app/src/guards.js');
  const pass = (_req: unknown, _res: unknown, next: () => void) => next();
  return {
    ...actual,
    placeholderGuards: () => ({ ...actual.placeholderGuards(), limit: () => pass, requireChannel: pass }),
  };
});
import { manualClock, type ManualClock } from '@shieldwall/core';
import { participationThreshold } from '../../examples/reference-app/src/features/activities.js';
import { startTestApp, type TestApp } from '../helpers/reference-app.js';
import { totp } from './captcha-helpers.js';
import { fastHashing, goodPassword, signUp } from './auth-helpers.js';

const email = 'jo@example.com';

describe('reference app: POST /api/activities/:id/join', () => {
  let t: TestApp;
  let clock: ManualClock;
  let userId: string;
  beforeEach(async () => {
    clock = manualClock(Date.now());
    t = await startTestApp(fastHashing, { clock });
    await signUp(t, email);
    await t.agent.post('/api/auth/login').send({ email, password: goodPassword }).expect(200);
    userId = (await t.services.users.findByEmail(email))!.id;
  });
  afterEach(() => t.close());

  const joinedKey = (activity: string) => `activities:joined:${activity}:${userId}`;
  const join = (activity = 'spring-bonus') => t.agent.post(`/api/activities/${activity}/join`);

  async function enrolMfa(deviceId = 'phone-12345678'): Promise<string> {
    const { secret } = (await t.agent.post('/api/auth/mfa/enroll').send({ deviceId }).expect(200)).body.mfa;
    await t.agent
      .post('/api/auth/mfa/verify')
      .send({ deviceId, code: totp(secret, clock.now()) })
      .expect(200);
    clock.advance(60_000); // past the enrolment code's time step
    return secret as string;
  }

  it('needs a signed-in user', async () => {
    const res = await t.request.post('/api/activities/spring-bonus/join');
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe('unauthenticated');
  });

  it('refuses a user below the volume threshold with the threshold, joining nothing', async () => {
    await t.services.users.update(userId, { recentVolume: participationThreshold - 1 });
    const res = await join();
    expect(res.status).toBe(403);
    expect(res.body.error).toEqual({
      code: 'participation_threshold_not_met',
      message: expect.any(String),
      metric: 'recentVolume',
      threshold: participationThreshold,
    });
    expect(await t.services.store.get(joinedKey('spring-bonus'))).toBeUndefined();
  });

  it('lets a user at the threshold join (201, then 200 when already joined)', async () => {
    await t.services.users.update(userId, { recentVolume: participationThreshold });
    const first = await join();
    expect(first.status).toBe(201);
    expect(first.body).toEqual({ activity: { id: 'spring-bonus', joined: true } });
    expect(await t.services.store.get(joinedKey('spring-bonus'))).toBe(String(clock.now()));
    await join().expect(200);
  });

  it('once MFA is on, admits only the bound device with a current, unused code', async () => {
    await t.services.users.update(userId, { recentVolume: participationThreshold * 3 });
    const secret = await enrolMfa();

    for (const [deviceId, code] of [
      [undefined, undefined],
      ['phone-12345678', undefined],
      ['other-device-001', totp(secret, clock.now())],
      ['phone-12345678', String((Number(totp(secret, clock.now())) + 1) % 1e6).padStart(6, '0')],
    ] as const) {
      const req = join();
      if (deviceId) req.set('X-MFA-Device-Id', deviceId);
      if (code) req.set('X-MFA-Code', code);
      const res = await req;
      expect(res.status).toBe(403);
      expect(res.body.error.code).toBe('mfa_device_required');
      expect(await t.services.store.get(joinedKey('spring-bonus'))).toBeUndefined();
    }

    const code = totp(secret, clock.now());
    await join().set('X-MFA-Device-Id', 'phone-12345678').set('X-MFA-Code', code).expect(201);
    // The same code again (replayed): refused, and the other activity stays unjoined.
    const replay = await join('summer-cup').set('X-MFA-Device-Id', 'phone-12345678').set('X-MFA-Code', code);
    expect(replay.status).toBe(403);
    expect(replay.body.error.code).toBe('mfa_device_required');
    expect(await t.services.store.get(joinedKey('summer-cup'))).toBeUndefined();
  });

  it('checks participation before the device, so a refused request spends no code', async () => {
    const secret = await enrolMfa();
    const code = totp(secret, clock.now());
    const res = await join().set('X-MFA-Device-Id', 'phone-12345678').set('X-MFA-Code', code);
    expect(res.body.error.code).toBe('participation_threshold_not_met');
    await t.services.users.update(userId, { recentVolume: participationThreshold });
    await join().set('X-MFA-Device-Id', 'phone-12345678').set('X-MFA-Code', code).expect(201);
  });

  it('answers 404 activity_not_found for an implausible id', async () => {
    await t.services.users.update(userId, { recentVolume: participationThreshold });
    const res = await join('x'.repeat(65));
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe('activity_not_found');
  });
});
