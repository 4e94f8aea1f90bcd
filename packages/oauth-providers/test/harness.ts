import { randomBytes } from 'node:crypto';
import express from 'express';
import request from 'supertest';
import { errorHandler, manualClock, memoryStore, type ManualClock, type Store } from '@shieldwall/core';
import { oauthProviders, type OAuthProfile, type OAuthProvidersOptions } from '../src/index.js';
import { fakeProvider, fakeTelegram, type Family, type FakeProvider } from './fake-providers.js';
import type { FakeOidcProvider } from './oidc-provider.js';

export const origin = 'https://app.example.test';
export const botToken = '123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw_';

export interface LogEntry {
  level: string;
  message: string;
  fields?: Record<string, unknown>;
}

export interface Harness {
  app: express.Express;
  agent: ReturnType<typeof request.agent>;
  fakes: Record<Exclude<Family, 'google'>, FakeProvider> & { google: FakeOidcProvider };
  /** Telegram's OpenID provider (unused when the harness runs the legacy widget). */
  tg: FakeOidcProvider;
  profiles: OAuthProfile[];
  clock: ManualClock;
  store: Store;
  logs: LogEntry[];
  close(): Promise<void>;
}

export const clients = {
  google: { clientId: 'g-client', clientSecret: 'g-secret' },
  github: { clientId: 'gh-client', clientSecret: 'gh-secret' },
  vk: { clientId: '5100', clientSecret: 'vk-secret' },
  yandex: { clientId: 'y-client', clientSecret: 'y-secret' },
  telegram: { clientId: '123456789', clientSecret: 'tg-client-secret' },
};

/** The package mounted alone in an Express 5 app, every provider pointed at its fake on loopback. */
export async function startHarness(
  extra: Partial<OAuthProvidersOptions> = {},
  mode: { telegram?: 'oidc' | 'widget' } = {},
): Promise<Harness> {
  const families: Family[] = ['google', 'github', 'vk', 'yandex'];
  const fakes = Object.fromEntries(
    await Promise.all(families.map(async (f) => [f, await fakeProvider(f, clients[f])] as const)),
  ) as Harness['fakes'];
  const tg = await fakeTelegram(clients.telegram);
  const clock = manualClock(Date.now());
  const store = memoryStore({ clock });
  const profiles: OAuthProfile[] = [];
  const logs: LogEntry[] = [];
  const log =
    (level: string) =>
    (message: string, fields?: Record<string, unknown>): void => {
      logs.push({ level, message, ...(fields ? { fields } : {}) });
    };
  const router = oauthProviders({
    publicOrigin: origin,
    providers: {
      google: { ...clients.google, issuer: fakes.google.url },
      github: { ...clients.github, baseUrl: fakes.github.url },
      vk: { ...clients.vk, baseUrl: fakes.vk.url },
      yandex: { ...clients.yandex, baseUrl: fakes.yandex.url },
      telegram:
        mode.telegram === 'widget'
          ? { legacyWidget: true, botToken, baseUrl: 'https://tg.example.test' }
          : { ...clients.telegram, issuer: tg.url },
    },
    stateKey: randomBytes(32),
    secure: false,
    store,
    clock,
    timeoutMs: 2_000,
    logger: { info: log('info'), warn: log('warn'), error: log('error') },
    async onProfile(profile, _req, res) {
      profiles.push(profile);
      res.cookie('session', `user-${profile.provider}-${profile.id}`, { httpOnly: true });
    },
    ...extra,
  });
  const app = express();
  app.use(router);
  app.use(errorHandler());
  return {
    app,
    agent: request.agent(app),
    fakes,
    tg,
    profiles,
    clock,
    store,
    logs,
    async close() {
      await router.close();
      await store.close();
      await Promise.all([...Object.values(fakes), tg].map((f) => f.close()));
    },
  };
}

/** Path and query of an absolute URL, to replay a provider's redirect against the app under test. */
export function local(url: string): string {
  const parsed = new URL(url);
  return parsed.pathname + parsed.search;
}

export function setCookies(res: { headers: Record<string, unknown> }): string[] {
  const value = res.headers['set-cookie'];
  return Array.isArray(value) ? (value as string[]) : typeof value === 'string' ? [value] : [];
}

/** The `name=value` pair of a cookie set with a value (not a clearing one). */
export function cookiePair(res: { headers: Record<string, unknown> }, name: string): string | undefined {
  const line = setCookies(res).find((c) => c.startsWith(`${name}=`) && !/Max-Age=0/.test(c));
  return line?.split(';')[0];
}
