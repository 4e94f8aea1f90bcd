import request from 'supertest';
import { manualClock } from '@shieldwall/core';
import { telegramCheck } from '../src/index.js';
import { signTelegram } from './fake-providers.js';
import { botToken, cookiePair, origin, setCookies, startHarness, type Harness } from './harness.js';

let h: Harness;
beforeEach(async () => {
  h = await startHarness({}, { telegram: 'widget' });
});
afterEach(async () => {
  await h.close();
});

const nowSeconds = (): number => Math.floor(h.clock.now() / 1000);
const payload = (extra: Record<string, string> = {}) =>
  signTelegram(botToken, {
    id: '31337',
    first_name: 'Ada',
    last_name: 'L',
    username: 'ada_l',
    photo_url: 'https://t.me/i/userpic/320/ada.jpg',
    auth_date: String(nowSeconds()),
    ...extra,
  });

async function begin(agent = h.agent) {
  return agent.get('/api/auth/oauth/telegram').expect(302);
}
const callback = (fields: Record<string, string>, agent = h.agent) =>
  agent.get('/api/auth/oauth/telegram/callback').query(fields);
const noSession = (res: request.Response) =>
  expect(setCookies(res).some((c) => c.startsWith('session='))).toBe(false);

describe('Telegram Login Widget (legacyWidget: true)', () => {
  it('redirects to oauth.telegram.org with the bot id, the origin and the exact return URL', async () => {
    const res = await begin();
    const target = new URL(res.headers.location as string);
    expect(target.origin + target.pathname).toBe('https://tg.example.test/auth');
    expect(target.searchParams.get('bot_id')).toBe('123456789');
    expect(target.searchParams.get('origin')).toBe(origin);
    expect(target.searchParams.get('return_to')).toBe(`${origin}/api/auth/oauth/telegram/callback`);
    expect(cookiePair(res, 'sw-oauth-telegram')).toBeDefined();
    expect(res.text).not.toContain(botToken.split(':')[1]!);
  });

  it('accepts a correctly signed payload and hands over the profile', async () => {
    await begin();
    const res = await callback(payload());
    expect(res.status).toBe(302);
    expect(res.headers.location).toBe('/');
    expect(cookiePair(res, 'session')).toBe('session=user-telegram-31337');
    expect(h.profiles).toEqual([
      {
        provider: 'telegram',
        id: '31337',
        name: 'Ada L',
        username: 'ada_l',
        avatarUrl: 'https://t.me/i/userpic/320/ada.jpg',
        email: null,
        emailVerified: false,
        phone: null,
        phoneVerified: false,
      },
    ]);
  });

  it('accepts the fragment result relayed as tgAuthResult', async () => {
    await begin();
    const signed = payload();
    const json = { ...signed, id: Number(signed.id), auth_date: Number(signed.auth_date) };
    const res = await h.agent
      .get('/api/auth/oauth/telegram/callback')
      .query({ tgAuthResult: Buffer.from(JSON.stringify(json)).toString('base64url') });
    expect(res.status).toBe(302);
    expect(h.profiles).toHaveLength(1);
  });

  it('serves the relay page under a CSP that allows only its own script', async () => {
    const res = await h.agent.get('/api/auth/oauth/telegram/callback');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/text\/html/);
    expect(res.headers['content-security-policy']).toMatch(
      /^default-src 'none'; script-src 'sha256-[\w+/=]+'$/,
    );
    expect(res.text).toContain('tgAuthResult');
  });

  const refusals: Array<[string, () => Record<string, string>, number, string]> = [
    ['a bad hash', () => ({ ...payload(), hash: 'f'.repeat(64) }), 401, 'oauth_telegram_invalid'],
    ['an extra field', () => ({ ...payload(), is_admin: '1' }), 401, 'oauth_telegram_invalid'],
    ['a changed field', () => ({ ...payload(), id: '1' }), 401, 'oauth_telegram_invalid'],
    [
      'a missing hash',
      () => {
        const { hash: _hash, ...rest } = payload();
        return rest;
      },
      401,
      'oauth_telegram_invalid',
    ],
    [
      'an old auth_date',
      () => payload({ auth_date: String(nowSeconds() - 3601) }),
      401,
      'oauth_telegram_expired',
    ],
    [
      'a future auth_date',
      () => payload({ auth_date: String(nowSeconds() + 600) }),
      401,
      'oauth_telegram_expired',
    ],
  ];
  it.each(refusals)('refuses %s, signs nobody in', async (_name, fields, status, code) => {
    await begin();
    const res = await callback(fields());
    expect(res.status).toBe(status);
    expect(res.body.error.code).toBe(code);
    expect(h.profiles).toHaveLength(0);
    noSession(res);
  });

  it('refuses a payload signed with another bot token', async () => {
    await begin();
    const res = await callback(
      signTelegram('987654321:BBHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw_', {
        id: '1',
        auth_date: String(nowSeconds()),
      }),
    );
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe('oauth_telegram_invalid');
  });

  it('refuses repeated parameters', async () => {
    await begin();
    const signed = payload();
    const res = await h.agent.get(
      `/api/auth/oauth/telegram/callback?${new URLSearchParams(signed).toString()}&id=2`,
    );
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe('oauth_telegram_invalid');
  });

  it('ages out with the injected clock', async () => {
    const signed = payload();
    h.clock.advance(3_000_000); // 50 minutes: still inside the default hour
    await begin();
    expect((await callback(signed)).status).toBe(302);
    const later = payload();
    h.clock.advance(3_601_000);
    await begin();
    const res = await callback(later);
    expect(res.body.error.code).toBe('oauth_telegram_expired');
  });

  it('without a flow cookie started in this browser: 403 oauth_state_mismatch (no login CSRF)', async () => {
    const res = await callback(payload(), request.agent(h.app));
    expect(res.status).toBe(403);
    expect(res.body.error.code).toBe('oauth_state_mismatch');
    expect(h.profiles).toHaveLength(0);
  });

  it('accepts a signed payload once, even in a new flow', async () => {
    const signed = payload();
    await begin();
    expect((await callback(signed)).status).toBe(302);
    await begin();
    const again = await callback(signed);
    expect(again.status).toBe(401);
    expect(again.body.error.code).toBe('oauth_telegram_expired');
    expect(h.profiles).toHaveLength(1);
    noSession(again);
  });

  it('the flow cookie is single use', async () => {
    const started = await begin();
    const pair = cookiePair(started, 'sw-oauth-telegram')!;
    expect(
      (await request(h.app).get('/api/auth/oauth/telegram/callback').query(payload()).set('Cookie', pair))
        .status,
    ).toBe(302);
    const replay = await request(h.app)
      .get('/api/auth/oauth/telegram/callback')
      .query(payload({ first_name: 'Eve' }))
      .set('Cookie', pair);
    expect(replay.status).toBe(403);
    expect(replay.body.error.code).toBe('oauth_state_mismatch');
    expect(h.profiles).toHaveLength(1);
    noSession(replay);
  });
});

describe('telegramCheck', () => {
  const clock = manualClock(Date.UTC(2026, 0, 1));
  const check = telegramCheck({ botToken, maxAgeSeconds: 86_400, clock });
  const at = String(Math.floor(clock.now() / 1000));

  it('hashes every received field, whatever its name', () => {
    const fields = signTelegram(botToken, { id: '1', auth_date: at, some_new_field: 'x' });
    expect(check(fields)).toMatchObject({ ok: true, profile: { id: '1' } });
  });

  it('refuses non-objects, arrays and nested values', () => {
    expect(check(undefined)).toEqual({ ok: false, code: 'oauth_telegram_invalid' });
    expect(check([])).toEqual({ ok: false, code: 'oauth_telegram_invalid' });
    expect(check({ ...signTelegram(botToken, { id: '1', auth_date: at }), x: { y: 1 } })).toEqual({
      ok: false,
      code: 'oauth_telegram_invalid',
    });
  });

  it('accepts auth_date exactly maxAgeSeconds old and refuses one second more', () => {
    const old = signTelegram(botToken, { id: '1', auth_date: String(Number(at) - 86_400) });
    expect(check(old).ok).toBe(true);
    const older = signTelegram(botToken, { id: '1', auth_date: String(Number(at) - 86_401) });
    expect(check(older)).toEqual({ ok: false, code: 'oauth_telegram_expired' });
  });
});
