import { createHash } from 'node:crypto';
import request from 'supertest';
import type { Family } from './fake-providers.js';
import { clients, cookiePair, local, origin, setCookies, startHarness, type Harness } from './harness.js';

let h: Harness;
beforeEach(async () => {
  h = await startHarness();
});
afterEach(async () => {
  await h.close();
});

async function start(family: Family, agent = h.agent) {
  const res = await agent.get(`/api/auth/oauth/${family}`).expect(302);
  return { res, authorize: new URL(res.headers.location as string) };
}

async function signIn(family: Family, agent = h.agent) {
  const { authorize } = await start(family, agent);
  const callback = await h.fakes[family].approve(authorize.href);
  return { authorize, callback, res: await agent.get(local(callback)) };
}

const tokenRequest = (family: Family) =>
  h.fakes[family].seen.find((s) => s.method === 'POST' && /token|access_token|oauth2\/auth/.test(s.path));
const noSession = (res: { headers: Record<string, unknown> }) =>
  expect(setCookies(res).some((c) => c.startsWith('session='))).toBe(false);

describe.each(['google', 'github', 'vk', 'yandex'] as const)('%s sign-in', (family) => {
  it('redirects with state, an S256 challenge and the exact redirect URI, and sets the flow cookie', async () => {
    const { res, authorize } = await start(family);
    expect(authorize.origin).toBe(h.fakes[family].url);
    expect(authorize.searchParams.get('response_type')).toBe('code');
    expect(authorize.searchParams.get('client_id')).toBe(clients[family].clientId);
    expect(authorize.searchParams.get('redirect_uri')).toBe(`${origin}/api/auth/oauth/${family}/callback`);
    expect(authorize.searchParams.get('state')).toMatch(/^[\w-]{43}$/);
    expect(authorize.searchParams.get('code_challenge')).toMatch(/^[\w-]{43}$/);
    expect(authorize.searchParams.get('code_challenge_method')).toBe('S256');
    const flow = setCookies(res).find((c) => c.startsWith(`sw-oauth-${family}=`));
    expect(flow).toMatch(/HttpOnly/);
    expect(flow).toMatch(/SameSite=Lax/);
    expect(flow).toMatch(/Max-Age=600/);
    expect(flow).toMatch(/Path=\//);
  });

  it('exchanges the code with the verifier, reads the profile, and hands it to onProfile', async () => {
    const { res, authorize } = await signIn(family);
    expect(res.status).toBe(302);
    expect(res.headers.location).toBe('/');
    expect(cookiePair(res, 'session')).toBeDefined();
    // The flow cookie is cleared: single use.
    expect(setCookies(res).some((c) => c.startsWith(`sw-oauth-${family}=;`) && /Max-Age=0/.test(c))).toBe(
      true,
    );
    expect(h.profiles).toHaveLength(1);
    const token = tokenRequest(family)!;
    expect(
      createHash('sha256')
        .update(token.form.code_verifier ?? '')
        .digest('base64url'),
    ).toBe(authorize.searchParams.get('code_challenge'));
    expect(token.form.redirect_uri).toBe(`${origin}/api/auth/oauth/${family}/callback`);
    // The provider's tokens reach neither the app nor the profile.
    expect(JSON.stringify(h.profiles)).not.toMatch(/at-|rt-/);
  });
});

describe('provider specifics', () => {
  it('Google: OpenID Connect, client secret in Basic auth, the profile from the verified ID token', async () => {
    const { authorize } = await signIn('google');
    expect(authorize.pathname).toBe('/o/oauth2/v2/auth');
    expect(authorize.searchParams.get('scope')).toBe('openid email profile');
    expect(authorize.searchParams.get('nonce')).toMatch(/^[\w-]{43}$/);
    const token = tokenRequest('google')!;
    expect(token.path).toBe('/token');
    expect(token.headers.authorization).toBe(
      `Basic ${Buffer.from(`${clients.google.clientId}:${clients.google.clientSecret}`).toString('base64')}`,
    );
    expect(token.form.client_secret).toBeUndefined();
    // No user-info call: the ID token carries the claims.
    expect(h.fakes.google.seen.map((s) => s.path)).toEqual([
      '/.well-known/openid-configuration',
      '/o/oauth2/v2/auth',
      '/token',
      '/oauth2/v3/certs',
    ]);
    expect(h.profiles[0]).toEqual({
      provider: 'google',
      id: '1080',
      name: 'Ada Lovelace',
      username: null,
      avatarUrl: 'https://lh3.example/ada.png',
      email: 'ada@example.com',
      emailVerified: true,
      phone: null,
      phoneVerified: false,
    });
  });

  it('Google: an unverified e-mail is reported unverified', async () => {
    h.fakes.google.profile.email_verified = false;
    await signIn('google');
    expect(h.profiles[0]).toMatchObject({ email: 'ada@example.com', emailVerified: false });
  });

  it('GitHub: token in the Authorization header, /user/emails read, verified primary used', async () => {
    await signIn('github');
    for (const path of ['/user', '/user/emails']) {
      const seen = h.fakes.github.seen.find((s) => s.path === path)!;
      expect(seen.headers.authorization).toMatch(/^Bearer at-/);
      expect(seen.query).toEqual({});
    }
    expect(tokenRequest('github')!.headers.accept).toMatch(/application\/json/);
    expect(h.profiles[0]).toMatchObject({
      provider: 'github',
      id: '42',
      username: 'ada',
      email: 'ada@example.com',
      emailVerified: true,
    });
  });

  it('GitHub: an unverified primary is not trusted; a verified secondary is used instead', async () => {
    h.fakes.github.emails = [
      { email: 'victim@example.com', primary: true, verified: false },
      { email: 'ada@work.example', primary: false, verified: true },
    ];
    await signIn('github');
    expect(h.profiles[0]).toMatchObject({ email: 'ada@work.example', emailVerified: true });
  });

  it('GitHub: with no verified address the primary is reported unverified', async () => {
    h.fakes.github.emails = [{ email: 'victim@example.com', primary: true, verified: false }];
    await signIn('github');
    expect(h.profiles[0]).toMatchObject({ email: 'victim@example.com', emailVerified: false });
  });

  it('VK ID: device_id and state in the exchange, no client secret, token in the user_info form', async () => {
    const { callback } = await signIn('vk');
    const token = tokenRequest('vk')!;
    expect(token.path).toBe('/oauth2/auth');
    expect(token.form.device_id).toBe(new URL(callback).searchParams.get('device_id'));
    expect(token.form.state).toBe(new URL(callback).searchParams.get('state'));
    expect(token.form.client_id).toBe('5100');
    expect(token.form.client_secret).toBeUndefined();
    const info = h.fakes.vk.seen.find((s) => s.path === '/oauth2/user_info')!;
    expect(info.method).toBe('POST');
    expect(info.form).toMatchObject({ client_id: '5100' });
    expect(info.form.access_token).toMatch(/^at-/);
    expect(info.headers.authorization).toBeUndefined();
    expect(h.profiles[0]).toEqual({
      provider: 'vk',
      id: '777',
      name: 'Ada L',
      username: null,
      avatarUrl: 'https://vk.example/a.jpg',
      email: 'ada@vk.example',
      emailVerified: false,
      phone: null,
      phoneVerified: false,
    });
  });

  it('Yandex: Authorization: OAuth <token> on /info?format=json', async () => {
    await signIn('yandex');
    const info = h.fakes.yandex.seen.find((s) => s.path === '/info')!;
    expect(info.headers.authorization).toMatch(/^OAuth at-/);
    expect(info.query).toEqual({ format: 'json' });
    expect(h.profiles[0]).toMatchObject({
      provider: 'yandex',
      id: '9001',
      email: 'ada@yandex.example',
      emailVerified: false,
      avatarUrl: 'https://avatars.yandex.net/get-yapic/131652443%2Fabc/islands-200',
    });
  });

  it('builds the redirect URI from publicOrigin, never from the Host header', async () => {
    const res = await h.agent.get('/api/auth/oauth/google').set('Host', 'evil.example').expect(302);
    const authorize = new URL(res.headers.location as string);
    expect(authorize.searchParams.get('redirect_uri')).toBe(`${origin}/api/auth/oauth/google/callback`);
  });
});

describe('state refusals: 403 oauth_state_mismatch, nothing exchanged, nothing signed in', () => {
  const refused = (res: request.Response, family: Family = 'google') => {
    expect(res.status).toBe(403);
    expect(res.body).toEqual({ error: { code: 'oauth_state_mismatch', message: expect.any(String) } });
    expect(h.profiles).toHaveLength(0);
    expect(tokenRequest(family)).toBeUndefined();
    noSession(res);
  };

  it('missing state', async () => {
    const { authorize } = await start('google');
    const callback = new URL(await h.fakes.google.approve(authorize.href));
    callback.searchParams.delete('state');
    refused(await h.agent.get(local(callback.href)));
  });

  it('wrong state', async () => {
    const { authorize } = await start('google');
    const callback = new URL(await h.fakes.google.approve(authorize.href));
    callback.searchParams.set('state', 'A'.repeat(43));
    refused(await h.agent.get(local(callback.href)));
  });

  it('no flow cookie (another browser, or login CSRF)', async () => {
    const { authorize } = await start('google');
    const callback = await h.fakes.google.approve(authorize.href);
    refused(await request(h.app).get(local(callback)));
  });

  it('a forged flow cookie', async () => {
    const { res, authorize } = await start('google');
    const pair = cookiePair(res, 'sw-oauth-google')!;
    const [name, value] = pair.split('=') as [string, string];
    const [v, payload, mac] = value.split('.') as [string, string, string];
    const flow = JSON.parse(Buffer.from(payload, 'base64url').toString()) as Record<string, unknown>;
    flow.expiresAt = Number(flow.expiresAt) + 3_600_000;
    const forged = `${name}=${v}.${Buffer.from(JSON.stringify(flow)).toString('base64url')}.${mac}`;
    const callback = await h.fakes.google.approve(authorize.href);
    refused(await request(h.app).get(local(callback)).set('Cookie', forged));
  });

  it('a flow cookie for another provider', async () => {
    const { res } = await start('github');
    const pair = cookiePair(res, 'sw-oauth-github')!;
    const { authorize } = await start('google', request.agent(h.app));
    const callback = await h.fakes.google.approve(authorize.href);
    const renamed = pair.replace('sw-oauth-github', 'sw-oauth-google');
    refused(await request(h.app).get(local(callback)).set('Cookie', renamed));
  });

  it('expired state (after 10 minutes)', async () => {
    const { authorize } = await start('google');
    const callback = await h.fakes.google.approve(authorize.href);
    h.clock.advance(600_001);
    refused(await h.agent.get(local(callback)));
  });

  it('a reused state, even with the flow cookie replayed', async () => {
    const { res: started, authorize } = await start('google');
    const pair = cookiePair(started, 'sw-oauth-google')!;
    const callback = await h.fakes.google.approve(authorize.href);
    const first = await request(h.app).get(local(callback)).set('Cookie', pair);
    expect(first.status).toBe(302);
    expect(h.profiles).toHaveLength(1);
    const tokenCalls = h.fakes.google.seen.filter((s) => s.path === '/token').length;
    const again = await request(h.app).get(local(callback)).set('Cookie', pair);
    expect(again.status).toBe(403);
    expect(again.body.error.code).toBe('oauth_state_mismatch');
    expect(h.profiles).toHaveLength(1);
    expect(h.fakes.google.seen.filter((s) => s.path === '/token')).toHaveLength(tokenCalls);
    noSession(again);
  });
});

describe('provider-side refusals', () => {
  it.each(['google', 'github'] as const)(
    '%s: a code injected into another flow fails the PKCE check: 400 oauth_code_rejected',
    async (family) => {
      const victim = request.agent(h.app);
      const { authorize: a } = await start(family, victim);
      const stolenCode = new URL(await h.fakes[family].approve(a.href)).searchParams.get('code')!;
      const { authorize: b } = await start(family);
      const own = new URL(await h.fakes[family].approve(b.href));
      own.searchParams.set('code', stolenCode);
      const res = await h.agent.get(local(own.href));
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe('oauth_code_rejected');
      expect(h.profiles).toHaveLength(0);
      noSession(res);
    },
  );

  it('the user declined: 403 oauth_access_denied', async () => {
    const { authorize } = await start('github');
    const res = await h.agent.get(
      `/api/auth/oauth/github/callback?error=access_denied&state=${authorize.searchParams.get('state')}`,
    );
    expect(res.status).toBe(403);
    expect(res.body.error.code).toBe('oauth_access_denied');
    expect(h.profiles).toHaveLength(0);
    noSession(res);
  });

  it('another provider error on the redirect: 502 oauth_provider_error, not echoed', async () => {
    await start('google');
    const res = await h.agent.get('/api/auth/oauth/google/callback?error=%3Cscript%3E&error_description=x');
    expect(res.status).toBe(502);
    expect(res.body.error.code).toBe('oauth_provider_error');
    expect(res.text).not.toContain('script');
  });

  it('a provider that hangs: 502 oauth_provider_error after the timeout, tokens never logged', async () => {
    await h.close();
    h = await startHarness({ timeoutMs: 200 });
    h.fakes.yandex.hangToken = true;
    const { res } = await signIn('yandex');
    expect(res.status).toBe(502);
    expect(res.body.error.code).toBe('oauth_provider_error');
    expect(h.profiles).toHaveLength(0);
    noSession(res);
    expect(h.logs.some((l) => l.level === 'warn' && l.fields?.provider === 'yandex')).toBe(true);
  });

  it('a user-info endpoint that fails: 502, and the logs hold no token', async () => {
    h.fakes.github.profile = { nope: true };
    const { res } = await signIn('github');
    expect(res.status).toBe(502);
    expect(res.body.error.code).toBe('oauth_provider_error');
    expect(JSON.stringify(h.logs)).not.toMatch(/at-[0-9a-f]/);
    expect(h.profiles).toHaveLength(0);
  });

  it('a user-info reply over 1 MB: 502, cut off rather than buffered', async () => {
    h.fakes.github.profile.name = 'x'.repeat(1_100_000);
    const { res } = await signIn('github');
    expect(res.status).toBe(502);
    expect(res.body.error.code).toBe('oauth_provider_error');
    expect(h.profiles).toHaveLength(0);
  });

  it('a callback without a code: 400 oauth_invalid_callback', async () => {
    const { authorize } = await start('google');
    const res = await h.agent.get(
      `/api/auth/oauth/google/callback?state=${authorize.searchParams.get('state')}`,
    );
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('oauth_invalid_callback');
  });

  it('repeated parameters: 400 oauth_invalid_callback', async () => {
    const res = await h.agent.get('/api/auth/oauth/google/callback?code=a&code=b&state=s');
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('oauth_invalid_callback');
  });

  it('VK ID without device_id: 400 oauth_invalid_callback, nothing exchanged', async () => {
    const { authorize } = await start('vk');
    const callback = new URL(await h.fakes.vk.approve(authorize.href));
    callback.searchParams.delete('device_id');
    const res = await h.agent.get(local(callback.href));
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('oauth_invalid_callback');
    expect(tokenRequest('vk')).toBeUndefined();
  });

  it('the start route refuses callback parameters', async () => {
    const res = await h.agent.get('/api/auth/oauth/google?code=x&state=y');
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('oauth_invalid_request');
    expect(setCookies(res)).toHaveLength(0);
  });
});
