import { createHash } from 'node:crypto';
import request from 'supertest';
import type { FakeOidcProvider } from './oidc-provider.js';
import { clients, cookiePair, local, origin, setCookies, startHarness, type Harness } from './harness.js';

// Telegram (and Google) over OpenID Connect against a loopback OpenID provider: discovery, code + PKCE + state +
// nonce, the code exchanged with the client secret, the ID token verified against the JWKS.

let h: Harness;
beforeEach(async () => {
  h = await startHarness();
});
afterEach(async () => {
  await h.close();
});

type Name = 'telegram' | 'google';
const fakeOf = (name: Name): FakeOidcProvider => (name === 'telegram' ? h.tg : h.fakes.google);
const nowSeconds = (): number => Math.floor(Date.now() / 1000);

async function start(name: Name, agent = h.agent) {
  const res = await agent.get(`/api/auth/oauth/${name}`);
  const location = res.headers.location;
  return { res, authorize: new URL(location ?? 'about:blank') };
}

async function signIn(name: Name, agent = h.agent) {
  const { authorize } = await start(name, agent);
  const callback = await fakeOf(name).approve(authorize.href);
  return { authorize, callback, res: await agent.get(local(callback)) };
}

const tokenCalls = (name: Name) => fakeOf(name).seen.filter((s) => s.method === 'POST');
const noSession = (res: { headers: Record<string, unknown> }) =>
  expect(setCookies(res).some((c) => c.startsWith('session='))).toBe(false);

function refused(res: request.Response, status: number, code: string, name: Name = 'telegram'): void {
  expect(res.status).toBe(status);
  expect(res.body).toEqual({ error: { code, message: expect.any(String) } });
  expect(h.profiles).toHaveLength(0);
  noSession(res);
  // The flow cookie is gone too: nothing is left to retry with.
  expect(cookiePair(res, `sw-oauth-${name}`)).toBeUndefined();
}

describe('Telegram over OpenID Connect', () => {
  it('redirects to the discovered authorization endpoint with code, PKCE S256, state and nonce', async () => {
    const { res, authorize } = await start('telegram');
    expect(res.status).toBe(302);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(authorize.origin + authorize.pathname).toBe(`${h.tg.url}/auth`);
    expect(Object.fromEntries(authorize.searchParams)).toEqual({
      response_type: 'code',
      client_id: '123456789',
      redirect_uri: `${origin}/api/auth/oauth/telegram/callback`,
      scope: 'openid profile phone',
      state: expect.stringMatching(/^[\w-]{43}$/),
      nonce: expect.stringMatching(/^[\w-]{43}$/),
      code_challenge: expect.stringMatching(/^[\w-]{43}$/),
      code_challenge_method: 'S256',
    });
    expect(cookiePair(res, 'sw-oauth-telegram')).toBeDefined();
    expect(h.tg.seen[0]!.path).toBe('/.well-known/openid-configuration');
  });

  it('signs in: code exchanged with the verifier and the client secret, ID token verified, phone verified', async () => {
    const { res, authorize } = await signIn('telegram');
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
        phone: '+15551234567',
        phoneVerified: true,
      },
    ]);
    const [token] = tokenCalls('telegram');
    expect(token!.path).toBe('/token');
    expect(token!.headers.authorization).toBe(
      `Basic ${Buffer.from('123456789:tg-client-secret').toString('base64')}`,
    );
    expect(token!.form).toMatchObject({
      grant_type: 'authorization_code',
      redirect_uri: `${origin}/api/auth/oauth/telegram/callback`,
      client_id: '123456789',
    });
    expect(createHash('sha256').update(token!.form.code_verifier!).digest('base64url')).toBe(
      authorize.searchParams.get('code_challenge'),
    );
    // The provider's access token reaches neither the app nor the logs.
    expect(JSON.stringify([h.profiles, h.logs])).not.toContain(h.tg.issuedTokens[0]);
  });

  it('a user who did not share the phone number: no phone, not verified', async () => {
    h.tg.claims = { phone_number: undefined };
    await signIn('telegram');
    expect(h.profiles[0]).toMatchObject({ id: '31337', phone: null, phoneVerified: false });
  });

  it('a phone number without the plus is normalised to E.164; garbage is dropped', async () => {
    h.tg.claims = { phone_number: '15551234567' };
    await signIn('telegram');
    h.tg.claims = { phone_number: 'call me' };
    await signIn('telegram', request.agent(h.app));
    expect(h.profiles.map((p) => [p.phone, p.phoneVerified])).toEqual([
      ['+15551234567', true],
      [null, false],
    ]);
  });

  it('sends the client secret in the form when discovery offers only client_secret_post', async () => {
    await h.close();
    h = await startHarness();
    h.tg.discovery = { token_endpoint_auth_methods_supported: ['client_secret_post'] };
    const { res } = await signIn('telegram');
    expect(res.status).toBe(302);
    const [token] = tokenCalls('telegram');
    expect(token!.headers.authorization).toBeUndefined();
    expect(token!.form.client_secret).toBe('tg-client-secret');
  });
});

describe.each(['telegram', 'google'] as const)('%s: ID token refusals', (name) => {
  const cases: Array<[string, (fake: FakeOidcProvider) => void, number, string]> = [
    ['a wrong nonce', (f) => (f.claims = { nonce: 'N'.repeat(43) }), 401, 'oauth_nonce_mismatch'],
    ['no nonce', (f) => (f.claims = { nonce: undefined }), 401, 'oauth_nonce_mismatch'],
    ['a wrong aud', (f) => (f.claims = { aud: 'another-client' }), 401, 'oauth_id_token_invalid'],
    [
      'several audiences and no azp',
      (f) => (f.claims = { aud: [name === 'telegram' ? '123456789' : clients.google.clientId, 'other'] }),
      401,
      'oauth_id_token_invalid',
    ],
    ['a wrong iss', (f) => (f.claims = { iss: 'https://evil.example' }), 401, 'oauth_id_token_invalid'],
    [
      'an expired token',
      (f) => (f.claims = { iat: nowSeconds() - 600, exp: nowSeconds() - 120 }),
      401,
      'oauth_id_token_expired',
    ],
    ['an iat in the future', (f) => (f.claims = { iat: nowSeconds() + 600 }), 401, 'oauth_id_token_expired'],
    ['an iat too old', (f) => (f.claims = { iat: nowSeconds() - 1200 }), 401, 'oauth_id_token_expired'],
    ['no sub', (f) => (f.claims = { sub: undefined }), 401, 'oauth_id_token_invalid'],
    ['a key not in the JWKS', (f) => (f.signing = 'unlisted'), 401, 'oauth_id_token_invalid'],
    ['alg: none', (f) => (f.signing = 'none'), 401, 'oauth_id_token_invalid'],
    [
      'HS256 signed with the client secret where RS256 is announced',
      (f) => (f.signing = 'hs256-client-secret'),
      401,
      'oauth_id_token_invalid',
    ],
  ];
  it.each(cases)('%s', async (_label, tamper, status, code) => {
    tamper(fakeOf(name));
    const { res } = await signIn(name);
    refused(res, status, code, name);
    // Refused tokens are logged (provider, code, jose's reason), never the token.
    const log = h.logs.find((l) => l.fields?.code === code);
    expect(log?.fields).toMatchObject({ provider: name, code });
    expect(JSON.stringify(h.logs)).not.toMatch(/eyJ/);
  });
});

describe('algorithm pinned to discovery', () => {
  it('an RS256 token where discovery announces only ES256: 401 oauth_id_token_invalid', async () => {
    h.tg.discovery = { id_token_signing_alg_values_supported: ['ES256'] };
    refused((await signIn('telegram')).res, 401, 'oauth_id_token_invalid');
  });

  it.each([
    ['only HS256', { id_token_signing_alg_values_supported: ['HS256'] }],
    ['only none', { id_token_signing_alg_values_supported: ['none'] }],
    ['another issuer', { issuer: 'https://evil.example' }],
    ['no jwks_uri', { jwks_uri: undefined }],
    ['no usable client authentication', { token_endpoint_auth_methods_supported: ['private_key_jwt'] }],
  ])('discovery with %s: 502 oauth_discovery_failed at the start, no flow cookie', async (_label, doc) => {
    h.tg.discovery = doc;
    const { res } = await start('telegram');
    expect(res.status).toBe(502);
    expect(res.body.error.code).toBe('oauth_discovery_failed');
    expect(setCookies(res)).toHaveLength(0);
    expect(h.logs.some((l) => l.fields?.code === 'oauth_discovery_failed')).toBe(true);
  });

  it('a discovery document without an issuer: 502 oauth_discovery_failed', async () => {
    h.tg.discovery = { issuer: undefined };
    const { res } = await start('telegram');
    expect(res.body.error.code).toBe('oauth_discovery_failed');
  });
});

describe('JWKS: cached, refreshed on an unknown kid, at a bounded rate', () => {
  it('fetches the keys once for many sign-ins', async () => {
    await signIn('telegram');
    await signIn('telegram', request.agent(h.app));
    await signIn('telegram', request.agent(h.app));
    expect(h.profiles).toHaveLength(3);
    expect(h.tg.jwksFetches).toBe(1);
  });

  it('follows a key rotation: a new kid makes one fresh fetch', async () => {
    await signIn('telegram');
    h.tg.rotate({ retireOld: true });
    h.clock.advance(61_000);
    const { res } = await signIn('telegram', request.agent(h.app));
    expect(res.status).toBe(302);
    expect(h.profiles).toHaveLength(2);
    expect(h.tg.jwksFetches).toBe(2);
  });

  it('refetches for unknown kids at most once per jwksRefreshMs', async () => {
    await signIn('telegram');
    h.tg.signing = 'unlisted';
    h.clock.advance(61_000);
    for (let i = 0; i < 3; i += 1) {
      const { res } = await signIn('telegram', request.agent(h.app));
      expect(res.body.error.code).toBe('oauth_id_token_invalid');
    }
    expect(h.tg.jwksFetches).toBe(2);
    h.clock.advance(61_000);
    await signIn('telegram', request.agent(h.app));
    expect(h.tg.jwksFetches).toBe(3);
    expect(h.profiles).toHaveLength(1);
  });

  it('a rotation within jwksRefreshMs of the last fetch is refused until the interval passes', async () => {
    await signIn('telegram');
    h.tg.rotate();
    const early = await signIn('telegram', request.agent(h.app));
    expect(early.res.body.error.code).toBe('oauth_id_token_invalid');
    h.clock.advance(60_000);
    const later = await signIn('telegram', request.agent(h.app));
    expect(later.res.status).toBe(302);
    expect(h.tg.jwksFetches).toBe(2);
  });

  it('a JWKS that answers 500: 502 oauth_jwks_unavailable, nobody signed in', async () => {
    h.tg.jwksMode = 'fail';
    refused((await signIn('telegram')).res, 502, 'oauth_jwks_unavailable');
    expect(h.logs.some((l) => l.level === 'warn' && l.fields?.code === 'oauth_jwks_unavailable')).toBe(true);
  });

  it('a JWKS that never answers: 502 oauth_jwks_unavailable after the timeout, no hang', async () => {
    await h.close();
    h = await startHarness({ timeoutMs: 200 });
    h.tg.jwksMode = 'hang';
    refused((await signIn('telegram')).res, 502, 'oauth_jwks_unavailable');
  });
});

describe('state and PKCE, as for every provider', () => {
  it('a wrong state: 403 oauth_state_mismatch, no code exchanged', async () => {
    const { authorize } = await start('telegram');
    const callback = new URL(await h.tg.approve(authorize.href));
    callback.searchParams.set('state', 'A'.repeat(43));
    refused(await h.agent.get(local(callback.href)), 403, 'oauth_state_mismatch');
    expect(tokenCalls('telegram')).toHaveLength(0);
  });

  it('no flow cookie (login CSRF): 403 oauth_state_mismatch', async () => {
    const { authorize } = await start('telegram');
    const callback = await h.tg.approve(authorize.href);
    refused(await request(h.app).get(local(callback)), 403, 'oauth_state_mismatch');
    expect(tokenCalls('telegram')).toHaveLength(0);
  });

  it('a replayed callback with its cookie: 403, the code is not exchanged twice', async () => {
    const { res: started, authorize } = await start('telegram');
    const pair = cookiePair(started, 'sw-oauth-telegram')!;
    const callback = await h.tg.approve(authorize.href);
    expect((await request(h.app).get(local(callback)).set('Cookie', pair)).status).toBe(302);
    const again = await request(h.app).get(local(callback)).set('Cookie', pair);
    expect(again.status).toBe(403);
    expect(again.body.error.code).toBe('oauth_state_mismatch');
    expect(tokenCalls('telegram')).toHaveLength(1);
    expect(h.profiles).toHaveLength(1);
  });

  it("a code from another browser's flow fails the PKCE check: 400 oauth_code_rejected", async () => {
    const { authorize: victim } = await start('telegram', request.agent(h.app));
    const stolen = new URL(await h.tg.approve(victim.href)).searchParams.get('code')!;
    const { authorize } = await start('telegram');
    const own = new URL(await h.tg.approve(authorize.href));
    own.searchParams.set('code', stolen);
    refused(await h.agent.get(local(own.href)), 400, 'oauth_code_rejected');
  });

  it('the user declined at Telegram: 403 oauth_access_denied', async () => {
    const { authorize } = await start('telegram');
    const res = await h.agent.get(
      `/api/auth/oauth/telegram/callback?error=access_denied&state=${authorize.searchParams.get('state')}`,
    );
    refused(res, 403, 'oauth_access_denied');
    expect(tokenCalls('telegram')).toHaveLength(0);
  });
});
