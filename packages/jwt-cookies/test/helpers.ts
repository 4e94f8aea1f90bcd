import { randomBytes } from 'node:crypto';
import express from 'express';
import { errorHandler, manualClock, memoryStore, type ManualClock, type Store } from '@shieldwall/core';
import { jwtCookies, type JwtCookies, type JwtCookiesOptions } from '../src/index.js';

export const key1 = { id: 'k1', key: randomBytes(32) };
export const key2 = { id: 'k2', key: randomBytes(32) };

export interface Harness {
  app: express.Express;
  auth: JwtCookies;
  clock: ManualClock;
  store: Store;
  close(): Promise<void>;
}

/** A small app: sign in as `sub`, refresh, logout, a protected and an optional route. */
export function harness(
  options: Partial<JwtCookiesOptions> = {},
  shared?: { store: Store; clock: ManualClock },
): Harness {
  const clock = shared?.clock ?? manualClock();
  const store = shared?.store ?? memoryStore({ clock });
  const auth = jwtCookies({ keys: [key1], secure: false, clock, store, ...options });
  const app = express();
  app.post('/api/auth/login/:sub', async (req, res) => {
    await auth.signIn(res, req.params.sub);
    res.status(204).end();
  });
  app.post('/api/auth/refresh', auth.refresh);
  app.post('/api/auth/logout', auth.logout);
  app.get('/me', auth.requireAuth, (_req, res) => {
    res.json({ sub: res.locals.auth.sub });
  });
  app.get('/maybe', auth.optionalAuth, (_req, res) => {
    res.json({ sub: res.locals.auth?.sub ?? null });
  });
  app.use(errorHandler());
  return {
    app,
    auth,
    clock,
    store,
    async close() {
      await auth.close();
      if (!shared) await store.close();
    },
  };
}

/** `name=value` pairs from a response's Set-Cookie headers (cleared cookies map to ''). */
export function setCookies(res: { headers: Record<string, unknown> }): Record<string, string> {
  const raw = (res.headers['set-cookie'] as string[] | undefined) ?? [];
  const out: Record<string, string> = {};
  for (const line of raw) {
    const [pair] = line.split(';');
    const eq = pair!.indexOf('=');
    out[pair!.slice(0, eq)] = pair!.slice(eq + 1);
  }
  return out;
}

export function cookieHeader(cookies: Record<string, string>): string {
  return Object.entries(cookies)
    .filter(([, v]) => v !== '')
    .map(([k, v]) => `${k}=${v}`)
    .join('; ');
}
