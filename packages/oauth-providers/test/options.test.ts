import { createSecretKey, randomBytes } from 'node:crypto';
import { ShieldwallConfigError } from '@shieldwall/core';
import express from 'express';
import request from 'supertest';
import { oauthProviders, type OAuthProvidersOptions } from '../src/index.js';

// GitHub needs no discovery, so these tests make no network call.
const base = (): OAuthProvidersOptions => ({
  publicOrigin: 'https://app.example.com',
  providers: { github: { clientId: 'id', clientSecret: 'secret' } },
  stateKey: randomBytes(32),
  onProfile: async () => {},
});

describe('oauthProviders options', () => {
  it.each<[string, (o: OAuthProvidersOptions) => unknown]>([
    ['a publicOrigin with a path', (o) => ({ ...o, publicOrigin: 'https://app.example.com/x' })],
    ['a publicOrigin that is not a URL', (o) => ({ ...o, publicOrigin: 'app.example.com' })],
    ['a short stateKey', (o) => ({ ...o, stateKey: randomBytes(16) })],
    ['a short KeyObject', (o) => ({ ...o, stateKey: createSecretKey(randomBytes(8)) })],
    ['a string stateKey', (o) => ({ ...o, stateKey: 'secret' })],
    ['no providers', (o) => ({ ...o, providers: {} })],
    ['an unknown provider', (o) => ({ ...o, providers: { facebook: { clientId: 'a', clientSecret: 'b' } } })],
    ['a provider without a secret', (o) => ({ ...o, providers: { github: { clientId: 'a' } } })],
    [
      'a bad baseUrl',
      (o) => ({ ...o, providers: { vk: { clientId: 'a', clientSecret: 'b', baseUrl: 'ftp://x' } } }),
    ],
    [
      'a malformed bot token',
      (o) => ({ ...o, providers: { telegram: { legacyWidget: true, botToken: 'nope' } } }),
    ],
    [
      'a bot token without legacyWidget (the widget is never chosen by accident)',
      (o) => ({ ...o, providers: { telegram: { botToken: '1:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw_' } } }),
    ],
    [
      'legacyWidget other than true',
      (o) => ({
        ...o,
        providers: { telegram: { legacyWidget: 'yes', botToken: '1:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw_' } },
      }),
    ],
    ['Telegram without a client secret', (o) => ({ ...o, providers: { telegram: { clientId: '1' } } })],
    [
      'an OpenID scope without openid',
      (o) => ({ ...o, providers: { google: { clientId: 'a', clientSecret: 'b', scope: ['email'] } } }),
    ],
    [
      'an issuer that is not a URL',
      (o) => ({
        ...o,
        providers: { google: { clientId: 'a', clientSecret: 'b', issuer: 'accounts.google.com' } },
      }),
    ],
    ['a zero jwksRefreshMs', (o) => ({ ...o, jwksRefreshMs: 0 })],
    [
      'a Telegram max age over a day',
      (o) => ({
        ...o,
        providers: {
          telegram: {
            legacyWidget: true,
            botToken: '1:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw_',
            maxAgeSeconds: 90_000,
          },
        },
      }),
    ],
    ['no onProfile', (o) => ({ ...o, onProfile: undefined })],
    ['an off-site successRedirect', (o) => ({ ...o, successRedirect: '//evil.example' })],
    ['a zero timeout', (o) => ({ ...o, timeoutMs: 0 })],
  ])('refuses %s at start-up', (_name, change) => {
    expect(() => oauthProviders(change(base()) as OAuthProvidersOptions)).toThrow(ShieldwallConfigError);
  });

  it('never prints a secret in a configuration error', () => {
    try {
      oauthProviders({
        ...base(),
        providers: { telegram: { legacyWidget: true, botToken: '12:short-secret-value' } },
      });
    } catch (err) {
      expect(String(err)).not.toContain('short-secret-value');
    }
    try {
      oauthProviders({
        ...base(),
        providers: { telegram: { botToken: '12:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw_' } } as never,
      });
    } catch (err) {
      expect(String(err)).not.toContain('AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw_');
      expect(String(err)).toMatch(/legacyWidget: true/);
    }
    expect.assertions(3);
  });

  it('catches app.use(oauthProviders) without the call', () => {
    expect(() => oauthProviders({ socket: {}, method: 'GET' } as never)).toThrow(/call it first/);
  });

  it('does not change the options object', () => {
    const options = base();
    const copy = { ...options, providers: { github: { ...options.providers.github! } } };
    const router = oauthProviders(Object.freeze(options));
    expect(options).toEqual(copy);
    return router.close();
  });

  it('mounts only the configured providers', async () => {
    const router = oauthProviders(base());
    const app = express().use(router);
    expect((await request(app).get('/api/auth/oauth/github')).status).toBe(302);
    expect((await request(app).get('/api/auth/oauth/google')).status).toBe(404);
    await router.close();
  });

  it('names the cookie __Host- and marks it Secure by default', async () => {
    const router = oauthProviders(base());
    const res = await request(express().use(router)).get('/api/auth/oauth/github');
    const cookie = ([] as string[]).concat(res.headers['set-cookie'] ?? [])[0]!;
    expect(cookie).toMatch(/^__Host-sw-oauth-github=v1\./);
    expect(cookie).toMatch(/; Path=\/; HttpOnly; SameSite=Lax; Secure/);
    expect(cookie).not.toMatch(/Domain=/);
    await router.close();
  });
});
