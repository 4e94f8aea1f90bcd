import express from 'express';
import { errorHandler, memoryStore } from '@shieldwall/core';
import { jwtCookies, type JwtCookiesOptions } from '@shieldwall/jwt-cookies';
import type { HttpScenario } from '../types.js';
import { benchSecret, payload, signInAccessCookie } from './baseline.js';

// What jwt-cookies' sessionCheck (access tokens end with their session, on by default in the reference app) costs
// on a small authenticated JSON GET: the same route with the check off (the baseline), on with its 5 s local cache
// (the reference app's setting), and on with no cache (a store read per request: the cost the cache saves).
function authApp(sessionCheck: JwtCookiesOptions['sessionCheck']): Promise<express.Express> {
  const auth = jwtCookies({
    keys: [{ id: 'k1', key: Buffer.from(benchSecret) }],
    secure: false,
    store: memoryStore(),
    sessionCheck,
  });
  const app = express();
  app.post('/bench/sign-in', async (_req, res) => {
    await auth.signIn(res, 'u_1');
    res.status(204).end();
  });
  app.get('/api/me', auth.requireAuth, (_req, res) => {
    res.json(payload);
  });
  app.use(errorHandler());
  return Promise.resolve(app);
}

async function prepare(baseUrl: string) {
  const access = await signInAccessCookie(baseUrl);
  return { method: 'GET' as const, path: '/api/me', headers: { cookie: access } };
}

export const scenarios: HttpScenario[] = [
  {
    kind: 'http',
    name: 'session-check-off',
    group: 'session-check',
    baseline: true,
    description: 'jwtCookies.requireAuth, sessionCheck off: access tokens trusted until they expire',
    createApp: () => authApp(false),
    prepare,
  },
  {
    kind: 'http',
    name: 'session-check-cached',
    group: 'session-check',
    description: 'jwtCookies.requireAuth, sessionCheck { cacheMs: 5000 } (the reference app), memory store',
    createApp: () => authApp({ cacheMs: 5000 }),
    prepare,
  },
  {
    kind: 'http',
    name: 'session-check-uncached',
    group: 'session-check',
    description:
      'jwtCookies.requireAuth, sessionCheck { cacheMs: 0 }: two store reads per request, memory store',
    createApp: () => authApp({ cacheMs: 0 }),
    prepare,
  },
];
