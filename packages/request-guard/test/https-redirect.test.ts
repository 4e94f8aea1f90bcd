import express, { type Express } from 'express';
import request from 'supertest';
import { ShieldwallConfigError } from '@shieldwall/core';
import { httpsRedirect, type HttpsRedirectOptions } from '../src/index.js';

function appWith(
  options: HttpsRedirectOptions,
  trustProxy: unknown = false,
): { app: Express; hits: () => number } {
  const app = express();
  let hits = 0;
  app.set('trust proxy', trustProxy);
  app.use(httpsRedirect(options));
  app.all('/{*rest}', (_req, res) => {
    hits += 1;
    res.json({ ok: true });
  });
  return { app, hits: () => hits };
}

const origin = 'https://app.example.com';

describe('httpsRedirect', () => {
  const { app, hits } = appWith({ origin, skipPaths: ['/healthz'] });

  it('sends GET and HEAD with 301 to the configured origin, keeping path and query', async () => {
    const get = await request(app).get('/a/b?c=1&d=%20');
    expect(get.status).toBe(301);
    expect(get.headers.location).toBe('https://app.example.com/a/b?c=1&d=%20');
    const head = await request(app).head('/x');
    expect(head.status).toBe(301);
    expect(hits()).toBe(0);
  });

  it.each(['post', 'put', 'patch', 'delete'] as const)(
    'sends %s with 308 so the method and body are kept',
    async (method) => {
      const res = await request(app)[method]('/api/thing').send({ a: 1 });
      expect(res.status).toBe(308);
      expect(res.headers.location).toBe('https://app.example.com/api/thing');
      expect(hits()).toBe(0);
    },
  );

  it('never redirects to the Host the client sent', async () => {
    const res = await request(app).get('/login').set('Host', 'evil.example');
    expect(res.headers.location).toBe('https://app.example.com/login');
  });

  it('keeps a protocol-relative looking path on our host', async () => {
    const res = await request(app).get('//evil.example/x');
    expect(res.status).toBe(301);
    expect(new URL(res.headers.location as string).host).toBe('app.example.com');
  });

  it('ignores X-Forwarded-Proto from a peer that is not a trusted proxy', async () => {
    const res = await request(app).get('/a').set('X-Forwarded-Proto', 'https');
    expect(res.status).toBe(301);
  });

  it('lets skipped paths through over plain HTTP', async () => {
    const res = await request(app).get('/healthz');
    expect(res.status).toBe(200);
  });

  describe('behind a trusted proxy', () => {
    const trusted = appWith({ origin }, 'loopback');

    it('believes X-Forwarded-Proto: https', async () => {
      const res = await request(trusted.app).get('/a').set('X-Forwarded-Proto', 'https');
      expect(res.status).toBe(200);
    });

    it('still redirects X-Forwarded-Proto: http', async () => {
      const res = await request(trusted.app).post('/a').set('X-Forwarded-Proto', 'http');
      expect(res.status).toBe(308);
    });
  });

  it('keeps an allowed Host, and only an allowed one', async () => {
    const multi = appWith({ origin, allowedHosts: ['api.example.com'] });
    const allowed = await request(multi.app).get('/v').set('Host', 'API.example.com');
    expect(allowed.headers.location).toBe('https://api.example.com/v');
    const other = await request(multi.app).get('/v').set('Host', 'api.example.com.evil.example');
    expect(other.headers.location).toBe('https://app.example.com/v');
  });
});

describe('httpsRedirect options', () => {
  it.each([undefined, 'http://app.example.com', 'https://app.example.com/path', 'app.example.com', 42])(
    'refuses the origin %p at start-up',
    (value) => {
      expect(() => httpsRedirect({ origin: value as never })).toThrow(ShieldwallConfigError);
      expect(() => httpsRedirect({ origin: value as never })).toThrow(/option `origin`/);
    },
  );

  it('refuses bad allowedHosts and skipPaths', () => {
    expect(() => httpsRedirect({ origin, allowedHosts: ['a.example.com/x'] })).toThrow(ShieldwallConfigError);
    expect(() => httpsRedirect({ origin, skipPaths: '/healthz' as never })).toThrow(/option `skipPaths`/);
    expect(() => httpsRedirect(undefined as never)).toThrow(ShieldwallConfigError);
  });
});
