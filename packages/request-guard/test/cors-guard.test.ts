import express, { type Express } from 'express';
import request from 'supertest';
import { errorHandler, ShieldwallConfigError } from '@shieldwall/core';
import { corsGuard, originAllowlist, type CorsGuardOptions } from '../src/index.js';

function appWith(options: CorsGuardOptions): { app: Express; hits: () => number } {
  const app = express();
  let hits = 0;
  app.use(corsGuard(options));
  app.all('/api/thing', (_req, res) => {
    hits += 1;
    res.json({ ok: true });
  });
  app.use(errorHandler());
  return { app, hits: () => hits };
}

const options: CorsGuardOptions = {
  origins: ['https://app.example.com', 'http://localhost:5173', 'https://*.tenants.example.com'],
};

describe('corsGuard', () => {
  const { app, hits } = appWith(options);

  it('reflects an allowed origin with credentials and Vary: Origin', async () => {
    const res = await request(app).get('/api/thing').set('Origin', 'https://app.example.com');
    expect(res.status).toBe(200);
    expect(res.headers['access-control-allow-origin']).toBe('https://app.example.com');
    expect(res.headers['access-control-allow-credentials']).toBe('true');
    expect(res.headers['access-control-expose-headers']).toBe(
      'Retry-After,X-RateLimit-Limit,X-RateLimit-Remaining,X-RateLimit-Reset',
    );
    expect(res.headers.vary).toBe('Origin');
  });

  it('allows a subdomain matching a pattern', async () => {
    const res = await request(app).get('/api/thing').set('Origin', 'https://acme.tenants.example.com');
    expect(res.headers['access-control-allow-origin']).toBe('https://acme.tenants.example.com');
  });

  it.each([
    'https://evil.example',
    'https://app.example.com.evil.example',
    'https://evilapp.example.com',
    'http://app.example.com',
    'https://app.example.com:8443',
    'https://tenants.example.com',
    'https://a.b.tenants.example.com',
    'https://acme.tenants.example.com.evil.example',
    'https://acme-tenants.example.com',
    'https://acme.tenants.example.com:444',
    'http://acme.tenants.example.com',
    'null',
    'HTTPS://APP.EXAMPLE.COM',
  ])('sends no CORS headers to %s, but still Vary: Origin', async (origin) => {
    const res = await request(app).get('/api/thing').set('Origin', origin);
    expect(res.status).toBe(200);
    expect(res.headers['access-control-allow-origin']).toBeUndefined();
    expect(res.headers['access-control-allow-credentials']).toBeUndefined();
    expect(res.headers.vary).toBe('Origin');
  });

  it('adds Vary: Origin to same-origin requests too, without CORS headers', async () => {
    const res = await request(app).get('/api/thing');
    expect(res.headers.vary).toBe('Origin');
    expect(res.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('answers an allowed preflight with 204, max age, methods and headers, without reaching the route', async () => {
    const before = hits();
    const res = await request(app)
      .options('/api/thing')
      .set('Origin', 'https://app.example.com')
      .set('Access-Control-Request-Method', 'POST')
      .set('Access-Control-Request-Headers', 'content-type,x-csrf-token');
    expect(res.status).toBe(204);
    expect(res.headers['access-control-allow-origin']).toBe('https://app.example.com');
    expect(res.headers['access-control-allow-credentials']).toBe('true');
    expect(res.headers['access-control-allow-methods']).toBe('GET,HEAD,POST,PUT,PATCH,DELETE');
    expect(res.headers['access-control-allow-headers']).toBe(
      'Content-Type,Authorization,X-CSRF-Token,X-Verification-Id,X-Verification-Code',
    );
    expect(res.headers['access-control-max-age']).toBe('600');
    expect(res.headers.vary).toMatch(/Origin/);
    expect(hits()).toBe(before);
  });

  it.each(['https://evil.example', 'null'])(
    'refuses a preflight from %s with 403 cors_origin_denied and no CORS headers',
    async (origin) => {
      const before = hits();
      const res = await request(app)
        .options('/api/thing')
        .set('Origin', origin)
        .set('Access-Control-Request-Method', 'POST');
      expect(res.status).toBe(403);
      expect(res.body).toEqual({
        error: { code: 'cors_origin_denied', message: expect.any(String) },
      });
      expect(JSON.stringify(res.body)).not.toContain('evil');
      expect(res.headers['access-control-allow-origin']).toBeUndefined();
      expect(res.headers['access-control-allow-methods']).toBeUndefined();
      expect(res.headers.vary).toBe('Origin');
      expect(hits()).toBe(before);
    },
  );

  it('keeps a Vary header set earlier', async () => {
    const app2 = express();
    app2.use((_req, res, next) => {
      res.setHeader('Vary', 'Accept-Encoding');
      next();
    });
    app2.use(corsGuard(options));
    app2.get('/', (_req, res) => {
      res.end();
    });
    const res = await request(app2).get('/').set('Origin', 'https://app.example.com');
    expect(res.headers.vary).toBe('Accept-Encoding, Origin');
  });

  it.each([
    ['an allowed origin', 'https://app.example.com', 'OPTIONS'],
    ['an allowed origin', 'https://app.example.com', 'GET'],
    ['an unlisted origin', 'https://evil.example', 'GET'],
    ['no origin', undefined, 'GET'],
  ])('writes Vary once for %s (%s %s)', async (_what, origin, method) => {
    const writes: string[] = [];
    const app2 = express();
    app2.use((_req, res, next) => {
      const setHeader = res.setHeader.bind(res);
      res.setHeader = (name, value) => {
        if (name.toLowerCase() === 'vary') writes.push(String(value));
        return setHeader(name, value);
      };
      next();
    });
    app2.use(corsGuard(options));
    app2.all('/', (_req, res) => {
      res.end();
    });
    let req = request(app2)[method === 'OPTIONS' ? 'options' : 'get']('/');
    if (origin) req = req.set('Origin', origin);
    if (method === 'OPTIONS') req = req.set('Access-Control-Request-Method', 'POST');
    const res = await req;
    expect(res.headers.vary).toBe('Origin');
    expect(writes).toEqual(['Origin']);
  });

  it('takes its own methods, headers, max age and credentials setting', async () => {
    const custom = appWith({
      origins: ['https://app.example.com'],
      methods: ['get', 'post'],
      allowedHeaders: ['Content-Type'],
      exposedHeaders: [],
      maxAge: 60,
      credentials: false,
    });
    const res = await request(custom.app)
      .options('/api/thing')
      .set('Origin', 'https://app.example.com')
      .set('Access-Control-Request-Method', 'POST');
    expect(res.status).toBe(204);
    expect(res.headers['access-control-allow-methods']).toBe('GET,POST');
    expect(res.headers['access-control-allow-headers']).toBe('Content-Type');
    expect(res.headers['access-control-max-age']).toBe('60');
    expect(res.headers['access-control-allow-credentials']).toBeUndefined();
  });
});

describe('corsGuard options', () => {
  it.each([
    ['*'],
    ['null'],
    ['https://app.example.com/path'],
    ['ftp://app.example.com'],
    ['app.example.com'],
    ['https://*.com'],
    ['https://a.*.example.com'],
    ['https://*example.com'],
    ['*.example.com'],
    ['https://*.example.com/x'],
  ])('refuses the origin entry %s at start-up', (entry) => {
    expect(() => corsGuard({ origins: [entry] })).toThrow(ShieldwallConfigError);
    expect(() => corsGuard({ origins: [entry] })).toThrow(/@shieldwall\/request-guard: option `origins`/);
  });

  it('refuses missing origins, bad methods and a bad max age', () => {
    expect(() => corsGuard(undefined as never)).toThrow(ShieldwallConfigError);
    expect(() => corsGuard({} as never)).toThrow(/option `origins`/);
    expect(() => corsGuard({ origins: [], methods: ['GET POST'] })).toThrow(/option `methods`/);
    expect(() => corsGuard({ origins: [], maxAge: -1 })).toThrow(/option `maxAge`/);
    expect(() => corsGuard({ origins: [], credentials: 'yes' as never })).toThrow(/option `credentials`/);
  });

  it('does not change the options it is given', () => {
    const given = { origins: ['https://app.example.com/'], methods: ['get'] };
    const copy = structuredClone(given);
    corsGuard(given);
    expect(given).toEqual(copy);
  });
});

describe('originAllowlist', () => {
  const list = originAllowlist(['https://*.example.com:8443', 'https://*.*.deep.example.org']);

  it('compiles patterns anchored at both ends, one label per *', () => {
    expect(list.allows('https://a.example.com:8443')).toBe(true);
    expect(list.allows('https://a.example.com')).toBe(false);
    expect(list.allows('https://a.example.com:84430')).toBe(false);
    expect(list.allows('https://x.y.deep.example.org')).toBe(true);
    expect(list.allows('https://y.deep.example.org')).toBe(false);
    expect(list.allows('https://-a.example.com:8443')).toBe(false);
    expect(list.allows('https://a_b.example.com:8443')).toBe(false);
    expect(list.allows(undefined)).toBe(false);
  });

  it('drops a default port from a pattern, as browsers do in Origin', () => {
    expect(originAllowlist(['https://*.example.com:443']).allows('https://a.example.com')).toBe(true);
  });
});
