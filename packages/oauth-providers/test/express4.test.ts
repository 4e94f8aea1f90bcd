import { randomBytes } from 'node:crypto';
import express4 from 'express4';
import request from 'supertest';
import { errorHandler } from '@shieldwall/core';
import { oauthProviders, type OAuthProfile } from '../src/index.js';
import { fakeProvider, type FakeProvider } from './fake-providers.js';
import { local } from './harness.js';

// Smoke test on Express 4 (the peer range starts at 4.21): the extended query parser and the older router.
describe('Express 4', () => {
  let fake: FakeProvider;
  beforeAll(async () => {
    fake = await fakeProvider('github', { clientId: 'id', clientSecret: 'secret' });
  });
  afterAll(() => fake.close());

  it('runs a GitHub sign-in and refuses a nested state', async () => {
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
    app.use(router as unknown as express4.RequestHandler);
    app.use(errorHandler() as unknown as express4.ErrorRequestHandler);
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
});
