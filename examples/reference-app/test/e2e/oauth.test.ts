import request from 'supertest';
import { manualClock } from '@shieldwall/core';
import { loadConfig } from '@shieldwall/reference-app';
import { startTestApp, type TestApp } from '../helpers/reference-app.js';
import {
  fakeProvider,
  fakeTelegram,
  signTelegram,
  type Family,
  type FakeProvider,
} from '../../../../packages/oauth-providers/test/fake-providers.js';
import type { FakeOidcProvider } from '../../../../packages/oauth-providers/test/oidc-provider.js';
import { fastHashing, goodPassword, productionEnv, setCookies, signUp } from './auth-helpers.js';

// The reference app's OAuth routes (SPEC.md) against real fake providers on loopback: the whole flow over HTTP,
// ending in the same access and refresh cookies as password login.

const botToken = '123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw_';
const families: Family[] = ['google', 'github', 'vk', 'yandex'];
const envName: Record<Family, string> = { google: 'GOOGLE', github: 'GITHUB', vk: 'VK', yandex: 'YANDEX' };

let t: TestApp;
let fakes: Record<Family, FakeProvider>;
let telegram: FakeOidcProvider;
const clock = manualClock(Date.now());
const telegramClient = { clientId: '123456789', clientSecret: 'telegram-secret' };

beforeEach(async () => {
  fakes = {} as Record<Family, FakeProvider>;
  telegram = await fakeTelegram(telegramClient);
  const env: Record<string, string> = {
    ...fastHashing,
    OAUTH_TELEGRAM_CLIENT_ID: telegramClient.clientId,
    OAUTH_TELEGRAM_CLIENT_SECRET: telegramClient.clientSecret,
    OAUTH_TELEGRAM_BASE_URL: telegram.url,
  };
  for (const family of families) {
    const client = { clientId: `${family}-id`, clientSecret: `${family}-secret` };
    fakes[family] = await fakeProvider(family, client);
    env[`OAUTH_${envName[family]}_CLIENT_ID`] = client.clientId;
    env[`OAUTH_${envName[family]}_CLIENT_SECRET`] = client.clientSecret;
    env[`OAUTH_${envName[family]}_BASE_URL`] = fakes[family].url;
  }
  clock.set(Date.now());
  t = await startTestApp(env, { clock });
});
afterEach(async () => {
  await t.close();
  await Promise.all([...families.map((f) => fakes[f].close()), telegram.close()]);
});

const local = (url: string): string => new URL(url).pathname + new URL(url).search;

async function oauthSignIn(family: Family, agent = t.agent) {
  const start = await agent.get(`/api/auth/oauth/${family}`).expect(302);
  const callback = await fakes[family].approve(start.headers.location as string);
  return agent.get(local(callback));
}

const signedIn = (res: request.Response): boolean =>
  Object.keys(setCookies(res)).some((n) => /(^|-)at$/.test(n));

describe('reference app: OAuth sign-in', () => {
  it.each(families)('%s: redirect, callback, code exchange, then the session cookies', async (family) => {
    const res = await oauthSignIn(family);
    expect(res.status).toBe(302);
    expect(res.headers.location).toBe('/account');
    expect(signedIn(res)).toBe(true);
    const me = await t.agent.get('/api/auth/me').expect(200);
    const user = await t.services.users.findById(me.body.user.id);
    expect(user?.identities).toEqual([
      `${family}:${family === 'google' ? '1080' : family === 'github' ? '42' : family === 'vk' ? '777' : '9001'}`,
    ]);
    expect(await t.services.users.count()).toBe(1);
    // A second sign-in, from another browser, signs the same user in.
    const other = request.agent(t.app);
    const again = await oauthSignIn(family, other);
    expect(again.status).toBe(302);
    expect(again.headers.location).toBe('/account');
    expect(signedIn(again)).toBe(true);
    expect((await other.get('/api/auth/me').expect(200)).body.user.id).toBe(me.body.user.id);
    expect(await t.services.users.count()).toBe(1);
  });

  it('Telegram (OpenID Connect): code, PKCE and nonce, then the session cookies', async () => {
    const start = await t.agent.get('/api/auth/oauth/telegram').expect(302);
    const authorize = new URL(start.headers.location as string);
    expect(authorize.origin).toBe(telegram.url);
    expect(authorize.searchParams.get('client_id')).toBe('123456789');
    expect(authorize.searchParams.get('scope')).toBe('openid profile phone');
    const res = await t.agent.get(local(await telegram.approve(authorize.href)));
    expect(res.status).toBe(302);
    expect(signedIn(res)).toBe(true);
    const me = await t.agent.get('/api/auth/me').expect(200);
    expect(me.body.user.emailVerified).toBe(false);
    const user = await t.services.users.findById(me.body.user.id);
    expect(user?.identities).toEqual(['telegram:31337']);
  });

  it('Telegram: an ID token for another client is refused: 401, no user, no session', async () => {
    telegram.claims = { aud: '987654321' };
    const start = await t.agent.get('/api/auth/oauth/telegram').expect(302);
    const res = await t.agent.get(local(await telegram.approve(start.headers.location as string)));
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe('oauth_id_token_invalid');
    expect(signedIn(res)).toBe(false);
    expect(await t.services.users.count()).toBe(0);
  });

  it('Telegram: a JWKS that cannot be fetched: 502 oauth_jwks_unavailable, no user', async () => {
    telegram.jwksMode = 'fail';
    const start = await t.agent.get('/api/auth/oauth/telegram').expect(302);
    const res = await t.agent.get(local(await telegram.approve(start.headers.location as string)));
    expect(res.status).toBe(502);
    expect(res.body.error.code).toBe('oauth_jwks_unavailable');
    expect(await t.services.users.count()).toBe(0);
  });

  it('Telegram legacy widget (only OAUTH_TELEGRAM_BOT_TOKEN set): the signed payload signs the user in', async () => {
    await t.close();
    t = await startTestApp({ ...fastHashing, OAUTH_TELEGRAM_BOT_TOKEN: botToken }, { clock });
    const start = await t.agent.get('/api/auth/oauth/telegram').expect(302);
    expect(new URL(start.headers.location as string).searchParams.get('bot_id')).toBe('123456789');
    const fields = signTelegram(botToken, {
      id: '31337',
      first_name: 'Ada',
      auth_date: String(Math.floor(clock.now() / 1000)),
    });
    const res = await t.agent.get('/api/auth/oauth/telegram/callback').query(fields);
    expect(res.status).toBe(302);
    expect(signedIn(res)).toBe(true);
    const me = await t.agent.get('/api/auth/me').expect(200);
    expect(me.body.user.emailVerified).toBe(false);
  });

  it('refuses OAUTH_TELEGRAM_BOT_TOKEN together with the OpenID client id at start-up', () => {
    expect(() =>
      loadConfig(
        {
          NODE_ENV: 'test',
          OAUTH_TELEGRAM_BOT_TOKEN: botToken,
          OAUTH_TELEGRAM_CLIENT_ID: '1',
          OAUTH_TELEGRAM_CLIENT_SECRET: 's',
        },
        { persistDevSecrets: false },
      ),
    ).toThrow(/OAUTH_TELEGRAM_BOT_TOKEN .* exclude each other/);
  });

  it('links to an existing account by an e-mail the provider verified (Google)', async () => {
    await signUp(t, 'ada@example.com');
    const res = await oauthSignIn('google');
    expect(res.status).toBe(302);
    expect(await t.services.users.count()).toBe(1);
    const user = await t.services.users.findByEmail('ada@example.com');
    expect(user?.identities).toEqual(['google:1080']);
  });

  it('linking to an account whose e-mail was never confirmed drops its password (pre-registration hijack)', async () => {
    await t.request
      .post('/api/auth/register')
      .send({ email: 'ada@example.com', password: goodPassword })
      .expect(202);
    await oauthSignIn('google');
    expect(await t.services.users.count()).toBe(1);
    const user = await t.services.users.findByEmail('ada@example.com');
    expect(user).toMatchObject({ emailVerified: true, identities: ['google:1080'] });
    expect(user?.passwordHash).toBeUndefined();
    const login = await t.request
      .post('/api/auth/login')
      .send({ email: 'ada@example.com', password: goodPassword });
    expect(login.status).toBe(401);
  });

  it('never links by an e-mail the provider did not verify', async () => {
    await signUp(t, 'ada@example.com');
    fakes.google.profile.email_verified = false;
    await oauthSignIn('google');
    fakes.github.emails = [{ email: 'ada@example.com', primary: true, verified: false }];
    await oauthSignIn('github', request.agent(t.app));
    (fakes.vk.profile.user as Record<string, unknown>).email = 'ada@example.com';
    await oauthSignIn('vk', request.agent(t.app));
    expect(await t.services.users.count()).toBe(4);
    expect((await t.services.users.findByEmail('ada@example.com'))?.identities).toEqual([]);
  });

  it('refuses a wrong state with 403 oauth_state_mismatch: no user, no session cookie', async () => {
    const start = await t.agent.get('/api/auth/oauth/google').expect(302);
    const callback = new URL(await fakes.google.approve(start.headers.location as string));
    callback.searchParams.set('state', 'x'.repeat(43));
    const res = await t.agent.get(local(callback.href));
    expect(res.status).toBe(403);
    expect(res.body.error.code).toBe('oauth_state_mismatch');
    expect(signedIn(res)).toBe(false);
    expect(await t.services.users.count()).toBe(0);
  });

  it('refuses a replayed callback: no second session', async () => {
    const start = await t.agent.get('/api/auth/oauth/github').expect(302);
    const flowCookie = (start.headers['set-cookie'] as unknown as string[])[0]!.split(';')[0]!;
    const callback = local(await fakes.github.approve(start.headers.location as string));
    expect((await t.request.get(callback).set('Cookie', flowCookie)).status).toBe(302);
    const replay = await t.request.get(callback).set('Cookie', flowCookie);
    expect(replay.status).toBe(403);
    expect(replay.body.error.code).toBe('oauth_state_mismatch');
    expect(signedIn(replay)).toBe(false);
  });

  it('refuses a legacy Telegram payload with a bad hash: 401, no user', async () => {
    await t.close();
    t = await startTestApp({ ...fastHashing, OAUTH_TELEGRAM_BOT_TOKEN: botToken }, { clock });
    await t.agent.get('/api/auth/oauth/telegram').expect(302);
    const fields = signTelegram(botToken, { id: '1', auth_date: String(Math.floor(clock.now() / 1000)) });
    const res = await t.agent.get('/api/auth/oauth/telegram/callback').query({ ...fields, id: '2' });
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe('oauth_telegram_invalid');
    expect(await t.services.users.count()).toBe(0);
  });

  it('is rate limited as an endpoint class', async () => {
    // Its own budget (30 per 15 minutes), far under the general API one (300 a minute) that every route carries.
    const res = await t.request.get('/api/auth/oauth/google').expect(302);
    expect(res.headers['x-ratelimit-limit']).toBe('30');
    for (let i = 1; i < 30; i += 1) await t.request.get('/api/auth/oauth/google').expect(302);
    const refused = await t.request.get('/api/auth/oauth/google').expect(429);
    expect(refused.body.error.code).toBe('rate_limited');
    expect(refused.headers['set-cookie']).toBeUndefined();
  });

  it('production: __Host- Secure flow cookie, redirect URI from PUBLIC_ORIGIN whatever the Host', async () => {
    await t.close();
    const env: Record<string, string> = { ...productionEnv() };
    env.OAUTH_GOOGLE_CLIENT_ID = 'google-id';
    env.OAUTH_GOOGLE_CLIENT_SECRET = 'google-secret';
    env.OAUTH_GOOGLE_BASE_URL = fakes.google.url;
    t = await startTestApp(env, { clock });
    const start = await t.request
      .get('/api/auth/oauth/google')
      .set('Host', 'evil.example')
      .set('X-Forwarded-Proto', 'https')
      .expect(302);
    const cookie = (start.headers['set-cookie'] as unknown as string[]).find((c) =>
      c.startsWith('__Host-sw-oauth-google='),
    )!;
    expect(cookie).toMatch(/; Path=\/; HttpOnly; SameSite=Lax; Secure/);
    const authorize = new URL(start.headers.location as string);
    expect(authorize.searchParams.get('redirect_uri')).toBe(
      'https://app.example.test/api/auth/oauth/google/callback',
    );
    const callback = await fakes.google.approve(authorize.href);
    const res = await t.request
      .get(local(callback))
      .set('X-Forwarded-Proto', 'https')
      .set('Cookie', cookie.split(';')[0]!);
    expect(res.status).toBe(302);
    expect(Object.keys(setCookies(res))).toContain('__Host-at');
  });

  it('answers 404 for a provider that is not configured', async () => {
    await t.close();
    t = await startTestApp(fastHashing);
    expect((await t.request.get('/api/auth/oauth/google')).status).toBe(404);
  });
});
