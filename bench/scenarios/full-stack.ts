import express from 'express';
import { errorHandler } from '@shieldwall/core';
import { securityHeaders } from '@shieldwall/headers';
import { jwtCookies } from '@shieldwall/jwt-cookies';
import { rateLimit } from '@shieldwall/rate-limits';
import { bodyGuard, clientIp, corsGuard } from '@shieldwall/request-guard';
import type { HttpScenario } from '../types.js';
import { benchOrigin, benchSecret, payload, signInAccessCookie } from './baseline.js';

// DESIGN.md's first budget: the full documented stack (headers, request guard, rate limit, JWT cookie auth) on a
// small JSON GET, at least 0.85 of `floor-all-four` and 1.20 times the peer stack.
export const scenario: HttpScenario = {
  kind: 'http',
  name: 'shieldwall-stack',
  group: 'full-stack',
  description:
    'securityHeaders (recommended, CSP with nonce), clientIp, corsGuard, bodyGuard, rateLimit (memory), jwtCookies.requireAuth',
  async createApp() {
    const auth = jwtCookies({ keys: [{ id: 'k1', key: Buffer.from(benchSecret) }], secure: false });
    const app = express();
    app.use(securityHeaders({ preset: 'recommended' }));
    app.use(clientIp({ mode: 'socket' }));
    app.use(corsGuard({ origins: [benchOrigin] }));
    app.use(bodyGuard());
    app.post('/bench/sign-in', async (_req, res) => {
      await auth.signIn(res, 'u_1');
      res.status(204).end();
    });
    app.get(
      '/api/me',
      rateLimit({ name: 'api', limit: 1_000_000_000, windowMs: 60_000 }),
      auth.requireAuth,
      (_req, res) => {
        res.json(payload);
      },
    );
    app.use(errorHandler());
    return app;
  },
  async prepare(baseUrl) {
    const access = await signInAccessCookie(baseUrl);
    return { method: 'GET', path: '/api/me', headers: { cookie: access, origin: benchOrigin } };
  },
};
