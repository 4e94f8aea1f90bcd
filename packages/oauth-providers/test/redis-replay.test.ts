import { randomBytes } from 'node:crypto';
import express from 'express';
import request from 'supertest';
import { errorHandler, redisStore } from '@shieldwall/core';
import { connectRedis, describeWithRedis, uniquePrefix, type ConnectedRedis } from '@shieldwall/test-utils';
import { oauthProviders, type OAuthProfile, type OAuthProvidersRouter } from '../src/index.js';
import { fakeProvider, signTelegram, type FakeProvider } from './fake-providers.js';
import { botToken, cookiePair, local } from './harness.js';

// Two app instances behind one Redis: a state (or a Telegram payload) used at one instance is refused at the
// other, and of concurrent callbacks with the same state exactly one goes through.
describeWithRedis('single use across instances (Redis)', () => {
  let redis: ConnectedRedis;
  let fake: FakeProvider;
  let routers: OAuthProvidersRouter[];
  let instances: express.Express[];
  let profiles: OAuthProfile[];

  beforeEach(async () => {
    redis = await connectRedis();
    fake = await fakeProvider('google', { clientId: 'id', clientSecret: 'secret' });
    const stateKey = randomBytes(32);
    const store = redisStore({ sendCommand: redis.sendCommand, prefix: uniquePrefix('oauth') });
    profiles = [];
    routers = [0, 1].map(() =>
      oauthProviders({
        publicOrigin: 'https://app.example.test',
        providers: {
          google: { clientId: 'id', clientSecret: 'secret', issuer: fake.url },
          telegram: { legacyWidget: true, botToken },
        },
        stateKey,
        secure: false,
        store,
        onProfile: async (profile) => {
          profiles.push(profile);
        },
      }),
    );
    instances = routers.map((router) => express().use(router).use(errorHandler()));
  });
  afterEach(async () => {
    await Promise.all(routers.map((r) => r.close()));
    await fake.close();
    await redis.close();
  });

  it('a callback replayed at the other instance, cookie and all, is refused', async () => {
    const start = await request(instances[0]!).get('/api/auth/oauth/google').expect(302);
    const cookie = cookiePair(start, 'sw-oauth-google')!;
    const callback = local(await fake.approve(start.headers.location as string));
    expect((await request(instances[0]!).get(callback).set('Cookie', cookie)).status).toBe(302);
    const replay = await request(instances[1]!).get(callback).set('Cookie', cookie);
    expect(replay.status).toBe(403);
    expect(replay.body.error.code).toBe('oauth_state_mismatch');
    expect(profiles).toHaveLength(1);
  });

  it('of concurrent callbacks with one state, exactly one signs in', async () => {
    const start = await request(instances[0]!).get('/api/auth/oauth/google').expect(302);
    const cookie = cookiePair(start, 'sw-oauth-google')!;
    const callback = local(await fake.approve(start.headers.location as string));
    const results = await Promise.all(
      [0, 1, 0, 1, 0, 1].map((i) => request(instances[i]!).get(callback).set('Cookie', cookie)),
    );
    expect(results.filter((r) => r.status === 302)).toHaveLength(1);
    expect(results.filter((r) => r.status === 403)).toHaveLength(5);
    expect(profiles).toHaveLength(1);
  });

  it('a Telegram payload used at one instance is refused at the other', async () => {
    const fields = signTelegram(botToken, { id: '5', auth_date: String(Math.floor(Date.now() / 1000)) });
    const signIn = async (app: express.Express) => {
      const start = await request(app).get('/api/auth/oauth/telegram').expect(302);
      return request(app)
        .get('/api/auth/oauth/telegram/callback')
        .query(fields)
        .set('Cookie', cookiePair(start, 'sw-oauth-telegram')!);
    };
    expect((await signIn(instances[0]!)).status).toBe(302);
    const again = await signIn(instances[1]!);
    expect(again.status).toBe(401);
    expect(again.body.error.code).toBe('oauth_telegram_expired');
    expect(profiles).toHaveLength(1);
  });
});
