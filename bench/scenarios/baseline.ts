import { createSecretKey } from 'node:crypto';
import cookieParser from 'cookie-parser';
import cors from 'cors';
import express, { type RequestHandler } from 'express';
import { rateLimit } from 'express-rate-limit';
import helmet from 'helmet';
import jwt from 'jsonwebtoken';
import type { HttpScenario } from '../types.js';

// The denominators of DESIGN.md's budgets: bare Express, and "the same protections assembled the usual way".
export const benchSecret = 'bench-secret-bench-secret-bench-secret-0123456789';
export const benchOrigin = 'https://app.example.com';
export const payload = { id: 'u_1', name: 'Ada', roles: ['member'], balance: 1234 };

export function benchToken(): string {
  return jwt.sign({ sub: 'u_1' }, benchSecret, {
    algorithm: 'HS256',
    expiresIn: '1h',
    issuer: 'bench',
    audience: 'bench',
  });
}

/** Signs in through a scenario's `POST /bench/sign-in` and returns its access cookie as `at=...`. */
export async function signInAccessCookie(baseUrl: string): Promise<string> {
  const response = await fetch(`${baseUrl}/bench/sign-in`, { method: 'POST' });
  const access = response.headers
    .getSetCookie()
    .map((cookie) => cookie.split(';')[0]!)
    .find((cookie) => cookie.startsWith('at='));
  if (!access) throw new Error('sign-in set no access cookie');
  return access;
}

const bare: HttpScenario = {
  kind: 'http',
  name: 'bare-express',
  group: 'full-stack',
  baseline: true,
  description: 'Express 5 answering a small JSON GET, nothing else',
  async createApp() {
    const app = express();
    app.get('/api/me', (_req, res) => {
      res.json(payload);
    });
    return app;
  },
  async prepare() {
    return { method: 'GET', path: '/api/me' };
  },
};

function peerStack(secret: 'keyobject' | 'string'): HttpScenario {
  return {
    kind: 'http',
    name: `peer-stack-${secret}`,
    group: 'full-stack',
    description: `helmet, cors, cookie-parser, express.json, express-rate-limit (memory), jsonwebtoken HS256 verify with a ${secret} secret`,
    async createApp() {
      const key = secret === 'keyobject' ? createSecretKey(Buffer.from(benchSecret)) : benchSecret;
      const app = express();
      app.use(helmet());
      app.use(cors({ origin: [benchOrigin], credentials: true }));
      app.use(cookieParser());
      app.use(express.json({ limit: '1mb' }));
      app.use(
        rateLimit({
          windowMs: 60_000,
          limit: 1_000_000_000,
          standardHeaders: 'draft-8',
          legacyHeaders: true,
        }),
      );
      const auth: RequestHandler = (req, res, next) => {
        try {
          const token = (req.cookies as Record<string, string | undefined>).at ?? '';
          res.locals.user = jwt.verify(token, key, {
            algorithms: ['HS256'],
            issuer: 'bench',
            audience: 'bench',
          });
          next();
        } catch {
          res.status(401).json({ error: { code: 'unauthenticated', message: 'Sign in.' } });
        }
      };
      app.get('/api/me', auth, (_req, res) => {
        res.json(payload);
      });
      return app;
    },
    async prepare() {
      return {
        method: 'GET',
        path: '/api/me',
        headers: { cookie: `at=${benchToken()}`, origin: benchOrigin },
      };
    },
  };
}

export const scenarios = [bare, peerStack('keyobject'), peerStack('string')];
