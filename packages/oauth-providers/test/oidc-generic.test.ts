import { randomBytes } from 'node:crypto';
import express from 'express';
import request from 'supertest';
import { errorHandler, ShieldwallConfigError } from '@shieldwall/core';
import { oauthProviders, type OAuthProfile, type OAuthProvidersOptions } from '../src/index.js';
import { local, setCookies } from './harness.js';
import { fakeOidcProvider, type FakeOidcProvider } from './oidc-provider.js';

// Any OpenID provider by its issuer alone (a Keycloak realm here): discovery, the same flow and ID token checks
// as Google and Telegram, the standard claims read into the profile.

const client = { clientId: 'shieldwall-app', clientSecret: 'kc-secret' };
let fake: FakeOidcProvider;
let profiles: OAuthProfile[];
let app: express.Express;
let close: () => Promise<void>;

const base = (issuer: string): OAuthProvidersOptions => ({
  publicOrigin: 'https://app.example.test',
  providers: { oidc: { keycloak: { issuer, ...client } } },
  stateKey: randomBytes(32),
  secure: false,
  onProfile: async (profile, _req, res) => {
    profiles.push(profile);
    res.cookie('session', profile.id);
  },
});

beforeEach(async () => {
  fake = await fakeOidcProvider({
    client,
    paths: {
      authorize: '/protocol/openid-connect/auth',
      token: '/protocol/openid-connect/token',
      jwks: '/protocol/openid-connect/certs',
    },
    profile: {
      sub: 'f3a1c2d4',
      preferred_username: 'ada',
      given_name: 'Ada',
      family_name: 'Lovelace',
      email: 'ada@example.com',
      email_verified: true,
      phone_number: '+44 20 7946 0000',
    },
  });
  profiles = [];
  const router = oauthProviders(base(fake.url));
  app = express().use(router).use(errorHandler());
  close = async () => {
    await router.close();
    await fake.close();
  };
});
afterEach(() => close());

async function signIn(agent = request.agent(app)) {
  const start = await agent.get('/api/auth/oauth/keycloak').expect(302);
  const authorize = new URL(start.headers.location as string);
  return { authorize, res: await agent.get(local(await fake.approve(authorize.href))) };
}

describe('a generic OpenID provider (providers.oidc)', () => {
  it('mounts <basePath>/<name>, runs the flow, and reads the standard claims', async () => {
    const { authorize, res } = await signIn();
    expect(authorize.origin + authorize.pathname).toBe(`${fake.url}/protocol/openid-connect/auth`);
    expect(authorize.searchParams.get('scope')).toBe('openid email profile');
    expect(authorize.searchParams.get('redirect_uri')).toBe(
      'https://app.example.test/api/auth/oauth/keycloak/callback',
    );
    expect(res.status).toBe(302);
    expect(profiles).toEqual([
      {
        provider: 'keycloak',
        id: 'f3a1c2d4',
        name: 'Ada Lovelace',
        username: 'ada',
        avatarUrl: null,
        email: 'ada@example.com',
        emailVerified: true,
        // Without phone_number_verified the number is passed on, unverified.
        phone: '+442079460000',
        phoneVerified: false,
      },
    ]);
  });

  it('an unverified e-mail stays unverified; a verified phone is verified', async () => {
    fake.claims = { email_verified: false, phone_number_verified: true };
    await signIn();
    expect(profiles[0]).toMatchObject({ emailVerified: false, phoneVerified: true });
  });

  it('refuses an ID token for another client: 401 oauth_id_token_invalid, nobody signed in', async () => {
    fake.claims = { aud: 'someone-else' };
    const { res } = await signIn();
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe('oauth_id_token_invalid');
    expect(profiles).toHaveLength(0);
    expect(setCookies(res).some((c) => c.startsWith('session='))).toBe(false);
  });

  it.each<[string, Record<string, unknown>]>([
    ['no issuer', { keycloak: { ...client } }],
    ['an issuer that is not a URL', { keycloak: { ...client, issuer: 'keycloak' } }],
    ['a name with capitals', { KeyCloak: { ...client, issuer: 'https://kc.example' } }],
    ['a name with a slash', { 'a/b': { ...client, issuer: 'https://kc.example' } }],
    ["a built-in provider's name", { google: { ...client, issuer: 'https://kc.example' } }],
    ['no client secret', { keycloak: { clientId: 'x', issuer: 'https://kc.example' } }],
    ['a scope without openid', { keycloak: { ...client, issuer: 'https://kc.example', scope: ['email'] } }],
  ])('refuses %s at start-up', (_label, oidc) => {
    const build = () => oauthProviders({ ...base('https://kc.example'), providers: { oidc } as never });
    expect(build).toThrow(ShieldwallConfigError);
    expect(build).toThrow(/providers\.oidc/);
  });
});
