import express from 'express';
import { createClient } from 'redis';
import { setClientInfo, type SendCommand } from '@shieldwall/core';
import { rateLimit } from '@shieldwall/rate-limits';
import type { HttpScenario } from '../types.js';

// DESIGN.md budget: rate limiting with the Redis store at least 0.70 of the in-memory store. Both apps are the same
// small JSON GET behind one `api` limiter; requests come from 10,000 client IPs (set by a header standing in for
// request-guard), with a limit no client reaches, so every request is counted and answered 200.
const clients = 10_000;
const payload = { id: 'u_1', name: 'Ada', roles: ['member'], balance: 1234 };

async function limitedApp(sendCommand?: SendCommand): Promise<express.Express> {
  const app = express();
  app.use((req, _res, next) => {
    const ip = req.headers['x-bench-ip'];
    if (typeof ip === 'string') setClientInfo(req, { ip });
    next();
  });
  app.get(
    '/api/me',
    rateLimit({
      name: 'api',
      limit: 1_000_000_000,
      windowMs: 10 * 60_000,
      ...(sendCommand ? { sendCommand, prefix: `swbench:${process.pid}:` } : {}),
    }),
    (_req, res) => {
      res.json(payload);
    },
  );
  return app;
}

function prepare() {
  return Promise.resolve(() => {
    const n = Math.floor(Math.random() * clients);
    return {
      method: 'GET' as const,
      path: '/api/me',
      headers: { 'x-bench-ip': `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}` },
    };
  });
}

export const scenarios: HttpScenario[] = [
  {
    kind: 'http',
    name: 'rate-limit-memory',
    group: 'rate-limit-store',
    baseline: true,
    description: '@shieldwall/rate-limits `api` limiter, in-memory store (core memoryStore), 10k client IPs',
    createApp: () => limitedApp(),
    prepare,
  },
  {
    kind: 'http',
    name: 'rate-limit-redis',
    group: 'rate-limit-store',
    description:
      '@shieldwall/rate-limits `api` limiter, Redis store (rate-limit-redis over node-redis), 10k client IPs',
    async createApp() {
      const client = createClient({ url: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379' });
      client.on('error', () => undefined);
      await client.connect();
      return limitedApp((args) => client.sendCommand(args));
    },
    prepare,
  },
];
