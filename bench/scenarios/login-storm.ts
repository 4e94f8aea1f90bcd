import { availableParallelism } from 'node:os';
import express from 'express';
import { jwtCookies } from '@shieldwall/jwt-cookies';
import { passwords } from '@shieldwall/passwords';
import type { HttpScenario } from '../types.js';
import { benchSecret, payload, signInAccessCookie } from './baseline.js';

// DESIGN.md's login-storm budget: sign-ins at the bcrypt pool's saturation (cost 12) must not starve a cheap
// authenticated route. The runner measures the cheap route's p99 latency paced, first idle, then while `storm`
// connections keep the pool full of sign-ins, and prints both (see run.ts).
const password = 'correct horse battery staple';

export const scenario: HttpScenario = {
  kind: 'http',
  name: 'login-storm',
  group: 'login-storm',
  description:
    'GET /api/me (jwtCookies.requireAuth) paced on one connection, idle and then during bcrypt (cost 12) sign-ins on the pool',
  async createApp() {
    const auth = jwtCookies({ keys: [{ id: 'k1', key: Buffer.from(benchSecret) }], secure: false });
    const hasher = passwords({ cost: 12 });
    const hash = await hasher.hash(password);
    const app = express();
    app.post('/bench/sign-in', async (_req, res) => {
      await auth.signIn(res, 'u_1');
      res.status(204).end();
    });
    app.post('/bench/login', express.json(), async (req, res) => {
      const given = (req.body as { password?: unknown }).password;
      if (!(await hasher.verify(typeof given === 'string' ? given : '', hash))) {
        res
          .status(401)
          .json({ error: { code: 'invalid_credentials', message: 'Wrong e-mail or password.' } });
        return;
      }
      await auth.signIn(res, 'u_1');
      res.status(204).end();
    });
    app.get('/api/me', auth.requireAuth, (_req, res) => {
      res.json(payload);
    });
    return app;
  },
  async prepare(baseUrl) {
    const access = await signInAccessCookie(baseUrl);
    return { method: 'GET', path: '/api/me', headers: { cookie: access } };
  },
  storm: {
    // Twice the pool's workers (its default: the CPUs less one, 1 to 4), so a sign-in always waits for a worker.
    connections: 2 * Math.min(4, Math.max(1, availableParallelism() - 1)),
    prepare() {
      return Promise.resolve({
        method: 'POST',
        path: '/bench/login',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ password }),
      });
    },
  },
};
