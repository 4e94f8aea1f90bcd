import { manualClock, type ManualClock } from '@shieldwall/core';
import { listen, type RunningServer } from '../helpers/http.js';
import { createKeyExchangeClient, type KeyExchangeClient } from '@shieldwall/key-exchange/client';
import { participationThreshold } from '../../src/features/activities.js';
import { startTestApp, type TestApp } from '../helpers/reference-app.js';
import { totp } from './captcha-helpers.js';
import { cookieHeader, fastHashing, goodPassword, setCookies, signUp } from './auth-helpers.js';

const email = 'jo@example.com';

// Through the whole app on a real port: the signed-in user loads the page (CSRF token), opens the encrypted channel
// with the key-exchange client, and joins over it (SPEC.md: activities take only encrypted bodies).
describe('reference app: POST /api/activities/:id/join', () => {
  let t: TestApp;
  let clock: ManualClock;
  let userId: string;
  let server: RunningServer;
  let client: KeyExchangeClient;
  beforeEach(async () => {
    clock = manualClock(Date.now());
    t = await startTestApp(fastHashing, { clock });
    await signUp(t, email);
    const login = await t.agent.post('/api/auth/login').send({ email, password: goodPassword }).expect(200);
    userId = (await t.services.users.findByEmail(email))!.id;
    server = await listen(t.app);
    const auth = cookieHeader(setCookies(login));
    const page = await fetch(`${server.url}/`, { headers: { cookie: auth } });
    const html = await page.text();
    const token = /<meta name="csrf-token" content="([^"]+)">/
      .exec(html)![1]!
      .replace(/&#(\d+);/g, (_m, c: string) => String.fromCharCode(Number(c)));
    const pageCookies = page.headers.getSetCookie().map((c) => c.split(';')[0]!);
    client = createKeyExchangeClient({
      baseUrl: server.url,
      csrfToken: token,
      cookies: [auth, ...pageCookies].join('; '),
      now: () => clock.now(),
    });
  });
  afterEach(async () => {
    await server.close();
    await t.close();
  });

  const joinedAt = (activity: string) => t.services.activities.joinedAt(activity, userId);
  /** A transaction in the ledger, `ageMs` before now: the 30-day volume is summed from these in SQL. */
  const trade = (amount: number, ageMs = 0) =>
    t.services.ledger.record({ userId, amount, kind: 'trade', at: clock.now() - ageMs });
  /** Joins over the encrypted channel; returns the status and the (decrypted) JSON body. */
  const join = async (activity = 'spring-bonus', headers: Record<string, string> = {}) => {
    const response = await client.fetch(`/api/activities/${activity}/join`, {
      method: 'POST',
      headers,
      body: {},
    });
    return {
      status: response.status,
      body: (await response.json()) as { error: Record<string, unknown> } & Record<string, unknown>,
    };
  };
  const device = (deviceId: string | undefined, code: string | undefined): Record<string, string> => ({
    ...(deviceId ? { 'X-MFA-Device-Id': deviceId } : {}),
    ...(code ? { 'X-MFA-Code': code } : {}),
  });

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

  it('takes only encrypted requests', async () => {
    await trade(participationThreshold);
    const res = await t.agent.post('/api/activities/spring-bonus/join').send({});
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('encryption_required');
    expect(await joinedAt('spring-bonus')).toBeUndefined();
  });

  it('refuses a user below the volume threshold with the threshold, joining nothing', async () => {
    await trade(participationThreshold - 1);
    const res = await join();
    expect(res.status).toBe(403);
    expect(res.body.error).toEqual({
      code: 'participation_threshold_not_met',
      message: expect.any(String),
      metric: 'recentVolume',
      threshold: participationThreshold,
    });
    expect(await joinedAt('spring-bonus')).toBeUndefined();
  });

  it('lets a user at the threshold join (201, then 200 when already joined)', async () => {
    await trade(participationThreshold);
    const first = await join();
    expect(first.status).toBe(201);
    expect(first.body).toEqual({ activity: { id: 'spring-bonus', joined: true } });
    expect(await joinedAt('spring-bonus')).toBe(clock.now());
    expect((await join()).status).toBe(200);
  });

  it('once MFA is on, admits only the bound device with a current, unused code', async () => {
    await trade(participationThreshold * 3);
    const secret = await enrolMfa();

    for (const [deviceId, code] of [
      [undefined, undefined],
      ['phone-12345678', undefined],
      ['other-device-001', totp(secret, clock.now())],
      ['phone-12345678', String((Number(totp(secret, clock.now())) + 1) % 1e6).padStart(6, '0')],
    ] as const) {
      const res = await join('spring-bonus', device(deviceId, code));
      expect(res.status).toBe(403);
      expect(res.body.error.code).toBe('mfa_device_required');
      expect(await joinedAt('spring-bonus')).toBeUndefined();
    }

    const code = totp(secret, clock.now());
    expect((await join('spring-bonus', device('phone-12345678', code))).status).toBe(201);
    // The same code again (replayed): refused, and the other activity stays unjoined.
    const replay = await join('summer-cup', device('phone-12345678', code));
    expect(replay.status).toBe(403);
    expect(replay.body.error.code).toBe('mfa_device_required');
    expect(await joinedAt('summer-cup')).toBeUndefined();
  });

  it('checks participation before the device, so a refused request spends no code', async () => {
    const secret = await enrolMfa();
    const code = totp(secret, clock.now());
    const res = await join('spring-bonus', device('phone-12345678', code));
    expect(res.status).toBe(403);
    expect(res.body.error.code).toBe('participation_threshold_not_met');
    await trade(participationThreshold);
    expect((await join('spring-bonus', device('phone-12345678', code))).status).toBe(201);
  });

  it('counts only the last 30 days of the ledger', async () => {
    await trade(participationThreshold, 30 * 24 * 3600_000 + 1);
    await trade(participationThreshold - 1, 29 * 24 * 3600_000);
    const refused = await join();
    expect(refused.status).toBe(403);
    expect(refused.body.error.code).toBe('participation_threshold_not_met');
    await trade(1);
    expect((await join()).status).toBe(201);
  });

  it('lists the catalogue with thresholds, the 30-day volume, and what the user joined', async () => {
    await trade(participationThreshold);
    expect((await join('summer-cup')).status).toBe(201);
    const res = await client.fetch('/api/activities');
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      volume30d: participationThreshold,
      activities: [
        {
          id: 'spring-bonus',
          title: 'Spring bonus',
          threshold: participationThreshold,
          eligible: true,
          joined: false,
        },
        {
          id: 'summer-cup',
          title: 'Summer trading cup',
          threshold: participationThreshold,
          eligible: true,
          joined: true,
        },
        { id: 'welcome-quest', title: 'Welcome quest', threshold: 0, eligible: true, joined: false },
      ],
    });
  });

  it('answers 404 activity_not_found for an id not in the catalogue, joining nothing', async () => {
    await trade(participationThreshold);
    const res = await join('no-such-activity');
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe('activity_not_found');
    expect(await joinedAt('no-such-activity')).toBeUndefined();
  });

  it('answers 404 activity_not_found for an implausible id', async () => {
    await trade(participationThreshold);
    const res = await join('x'.repeat(65));
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe('activity_not_found');
  });
});
