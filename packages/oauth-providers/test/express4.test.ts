import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import type express from 'express';
import request from 'supertest';
import { errorHandler } from '@shieldwall/core';
import { oauthProviders, type OAuthProfile } from '../src/index.js';
import { fakeProvider, fakeTelegram, type FakeProvider } from './fake-providers.js';
import { local } from './harness.js';

// `express4` is express@4 under another name; it ships no types of its own, so it is typed as Express here.
const load = createRequire(__filename);
const express4 = load('express4') as typeof express;
const express4Version = (load('express4/package.json') as { version: string }).version;

// Smoke test on Express 4 (the peer range starts at 4.21): the extended query parser and the older router.
describe('Express 4', () => {
  let fake: FakeProvider;
  beforeAll(async () => {
    fake = await fakeProvider('github', { clientId: 'id', clientSecret: 'secret' });
  });
  afterAll(() => fake.close());

  it('runs a GitHub sign-in and refuses a nested state', async () => {
    expect(express4Version).toMatch(/^4\./);
    const profiles: OAuthProfile[] = [];
    const router = oauthProviders({
      publicOrigin: 'https://app.example.test',
      providers: { github: { clientId: 'id', clientSecret: 'secret', baseUrl: fake.url } },
      stateKey: randomBytes(32),
      secure: false,
      onProfile: async (profile) => {
        profiles.push(profile);
      },
    });
    const app = express4();
    app.use(router);
    app.use(errorHandler());
    const agent = request.agent(app);

    const start = await agent.get('/api/auth/oauth/github').expect(302);
    const callback = new URL(await fake.approve(start.headers.location as string));
    const nested = await agent.get(`/api/auth/oauth/github/callback?code=x&state[a]=1`);
    expect(nested.status).toBe(400);
    expect(nested.body.error.code).toBe('oauth_invalid_callback');

    const again = await agent.get('/api/auth/oauth/github').expect(302);
    const fresh = new URL(await fake.approve(again.headers.location as string));
    const res = await agent.get(local(fresh.href));
    expect(res.status).toBe(302);
    expect(profiles).toHaveLength(1);
    expect(callback.searchParams.get('state')).not.toBe(fresh.searchParams.get('state'));
    await router.close();
  });

  it('runs a Telegram OpenID Connect sign-in and refuses a nested code', async () => {
    const tg = await fakeTelegram({ clientId: '123456789', clientSecret: 'tg-secret' });
    const profiles: OAuthProfile[] = [];
    const router = oauthProviders({
      publicOrigin: 'https://app.example.test',
      providers: { telegram: { clientId: '123456789', clientSecret: 'tg-secret', issuer: tg.url } },
      stateKey: randomBytes(32),
      secure: false,
      onProfile: async (profile) => {
        profiles.push(profile);
      },
    });
    const app = express4();
    app.use(router);
    app.use(errorHandler());
    const agent = request.agent(app);

    const nested = await agent.get('/api/auth/oauth/telegram/callback?code[a]=1&state=x');
    expect(nested.status).toBe(400);
    expect(nested.body.error.code).toBe('oauth_invalid_callback');

    const start = await agent.get('/api/auth/oauth/telegram').expect(302);
    const res = await agent.get(local(await tg.approve(start.headers.location as string)));
    expect(res.status).toBe(302);
    expect(profiles).toEqual([
      expect.objectContaining({ provider: 'telegram', id: '31337', phoneVerified: true }),
    ]);
    await router.close();
    await tg.close();
  });
});
