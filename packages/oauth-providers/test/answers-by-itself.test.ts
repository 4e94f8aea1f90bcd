import { randomBytes } from 'node:crypto';
import express from 'express';
import request from 'supertest';
import { memoryStore, type Logger } from '@shieldwall/core';
import { oauthProviders, type OAuthProvidersOptions } from '../src/index.js';

// The router mounted in a bare app, as a Node team starts: no errorHandler(). Every request here is refused
// before any provider is contacted, so the providers point at a closed port.
function bareApp(extra: Partial<OAuthProvidersOptions> = {}) {
  const logged: string[] = [];
  const logger: Logger = {
    info: (message) => logged.push(`info ${message}`),
    warn: (message) => logged.push(`warn ${message}`),
    error: (message) => logged.push(`error ${message}`),
  };
  const store = memoryStore();
  let signedIn = 0;
  const router = oauthProviders({
    publicOrigin: 'https://app.example.test',
    providers: {
      github: { clientId: 'gh-client', clientSecret: 'gh-secret', baseUrl: 'http://127.0.0.1:9' },
      google: { clientId: 'g-client', clientSecret: 'g-secret', issuer: 'http://127.0.0.1:9' },
    },
    stateKey: randomBytes(32),
    secure: false,
    store,
    logger,
    async onProfile() {
      signedIn++;
    },
    ...extra,
  });
  const app = express();
  app.use(router);
  return {
    app,
    logged,
    signedIn: () => signedIn,
    close: async () => {
      await router.close();
      await store.close();
    },
  };
}

describe('oauthProviders refusals answer by themselves', () => {
  it.each([
    [
      'an OAuth start with callback parameters',
      '/api/auth/oauth/github?code=x',
      400,
      'oauth_invalid_request',
    ],
    [
      'an OpenID start with callback parameters',
      '/api/auth/oauth/google?state=x',
      400,
      'oauth_invalid_request',
    ],
    [
      'an OAuth callback the user declined',
      '/api/auth/oauth/github/callback?error=access_denied',
      403,
      'oauth_access_denied',
    ],
    [
      'an OpenID callback the user declined',
      '/api/auth/oauth/google/callback?error=access_denied',
      403,
      'oauth_access_denied',
    ],
    [
      'an OAuth callback without a code',
      '/api/auth/oauth/github/callback?state=x',
      400,
      'oauth_invalid_callback',
    ],
    [
      'an OpenID callback without its flow cookie',
      '/api/auth/oauth/google/callback?code=c&state=s',
      403,
      'oauth_state_mismatch',
    ],
  ])('%s: the JSON envelope, no one signed in, nothing logged', async (_name, path, status, code) => {
    const h = bareApp();
    try {
      const res = await request(h.app).get(path).expect(status);
      expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
      expect(res.body).toEqual({ error: { code, message: expect.any(String) } });
      expect(h.signedIn()).toBe(0);
      expect(h.logged).toEqual([]);
    } finally {
      await h.close();
    }
  });

  it('onRefused takes over (here: back to the sign-in page); handler is suggested for it', async () => {
    const codes: string[] = [];
    const h = bareApp({
      onRefused: (error, _req, res) => {
        codes.push(error.code);
        res.redirect(302, `/sign-in?error=${error.code}`);
      },
    });
    try {
      const res = await request(h.app).get('/api/auth/oauth/github/callback?error=access_denied').expect(302);
      expect(res.headers.location).toBe('/sign-in?error=oauth_access_denied');
      expect(codes).toEqual(['oauth_access_denied']);
      expect(() => bareApp({ handler: () => undefined } as Partial<OAuthProvidersOptions>)).toThrow(
        /onRefused/,
      );
    } finally {
      await h.close();
    }
  });
});
