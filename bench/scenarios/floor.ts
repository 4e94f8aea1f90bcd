import { createHmac, createSecretKey, timingSafeEqual } from 'node:crypto';
import express, { type NextFunction, type Request, type Response } from 'express';
import { securityHeaders } from '@shieldwall/headers';
import { jwtCookies } from '@shieldwall/jwt-cookies';
import type { HttpScenario } from '../types.js';
import { benchOrigin, benchSecret, payload, signInAccessCookie } from './baseline.js';

// Not products: the cheapest conceivable versions of the full stack's parts, to show where the floor is on this
// machine. `floor-headers-hmac`: the same security headers (one middleware over precomputed values) and a bare
// HMAC check of the access cookie with a JSON.parse of its claims. `floor-all-four` adds the least CORS (three
// headers for the one allowed origin) and the least rate limit (a Map counter, the same five headers) there can
// be. No validation, no IPv6 grouping, no outage handling, no header or claim rules. Whatever these measure, the
// documented stack cannot beat on the same machine.
const cookiePrefix = 'at=';
const windowMs = 60_000;
const limit = 1_000_000_000;

type Handler = (req: Request, res: Response, next: NextFunction) => void;

function minimalCors(): Handler {
  return (req, res, next) => {
    res.setHeader('Vary', 'Origin');
    if (req.headers.origin === benchOrigin) {
      res.setHeader('Access-Control-Allow-Origin', benchOrigin);
      res.setHeader('Access-Control-Allow-Credentials', 'true');
      res.setHeader(
        'Access-Control-Expose-Headers',
        'Retry-After,X-RateLimit-Limit,X-RateLimit-Remaining,X-RateLimit-Reset',
      );
    }
    next();
  };
}

function minimalLimit(): Handler {
  const counts = new Map<string, { hits: number; resetAt: number }>();
  return (req, res, next) => {
    const key = `api:${req.socket.remoteAddress ?? ''}`;
    const now = Date.now();
    let entry = counts.get(key);
    if (!entry || entry.resetAt <= now) counts.set(key, (entry = { hits: 0, resetAt: now + windowMs }));
    entry.hits += 1;
    const remaining = Math.max(0, limit - entry.hits);
    const reset = Math.ceil((entry.resetAt - now) / 1000);
    res.setHeader('X-RateLimit-Limit', String(limit));
    res.setHeader('X-RateLimit-Remaining', String(remaining));
    res.setHeader('X-RateLimit-Reset', String(Math.ceil(entry.resetAt / 1000)));
    // The IETF draft-7 pair, as @shieldwall/rate-limits sends by default.
    res.setHeader('RateLimit', `limit=${limit}, remaining=${remaining}, reset=${reset}`);
    res.setHeader('RateLimit-Policy', `${limit};w=${windowMs / 1000}`);
    next();
  };
}

function floor(name: string, description: string, extras: Handler[]): HttpScenario {
  return {
    kind: 'http',
    name,
    group: 'full-stack',
    description,
    async createApp() {
      const auth = jwtCookies({ keys: [{ id: 'k1', key: Buffer.from(benchSecret) }], secure: false });
      const key = createSecretKey(Buffer.from(benchSecret));
      const app = express();
      app.use(securityHeaders({ preset: 'recommended' }));
      for (const extra of extras) app.use(extra);
      app.post('/bench/sign-in', async (_req, res) => {
        await auth.signIn(res, 'u_1');
        res.status(204).end();
      });
      app.get(
        '/api/me',
        (req, res, next) => {
          const cookie = req.headers.cookie ?? '';
          const token = cookie.startsWith(cookiePrefix) ? cookie.slice(cookiePrefix.length) : '';
          const dot = token.lastIndexOf('.');
          const expected = createHmac('sha256', key).update(token.slice(0, dot)).digest();
          const given = Buffer.from(token.slice(dot + 1), 'base64url');
          if (dot < 0 || given.length !== expected.length || !timingSafeEqual(given, expected)) {
            res.status(401).end();
            return;
          }
          res.locals.auth = JSON.parse(
            Buffer.from(token.slice(token.indexOf('.') + 1, dot), 'base64url').toString(),
          ) as unknown;
          next();
        },
        (_req, res) => {
          res.json(payload);
        },
      );
      return app;
    },
    async prepare(baseUrl) {
      const access = await signInAccessCookie(baseUrl);
      return { method: 'GET', path: '/api/me', headers: { cookie: access, origin: benchOrigin } };
    },
  };
}

export const scenarios = [
  floor(
    'floor-headers-hmac',
    'lower bound: securityHeaders (recommended) and a bare HS256 check of the cookie; no CORS, limiter or claim rules',
    [],
  ),
  floor(
    'floor-all-four',
    'lower bound: floor-headers-hmac plus three CORS headers and a Map counter with the five rate-limit headers',
    [minimalCors(), minimalLimit()],
  ),
];
