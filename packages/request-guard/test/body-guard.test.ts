import express, { type Express } from 'express';
import request from 'supertest';
import { Agent, request as httpRequest } from 'node:http';
import { gzipSync } from 'node:zlib';
import { errorHandler, ShieldwallConfigError } from '@shieldwall/core';
import { listen, type RunningServer } from '@shieldwall/test-utils';
import { bodyGuard, type BodyGuardOptions } from '../src/index.js';

interface Seen {
  path: string;
  body: unknown;
  rawLength?: number;
}

function appWith(options: BodyGuardOptions = {}): { app: Express; seen: Seen[] } {
  const app = express();
  const seen: Seen[] = [];
  app.use(bodyGuard(options));
  // A route that parses its own body, as the CSP report endpoint and the encrypted routes do.
  app.post(['/api/csp-report-endpoint', '/api/wallets/:id/sign'], (req, res, next) => {
    let rawLength = 0;
    req.on('data', (chunk: Buffer) => (rawLength += chunk.length));
    req.on('error', next);
    req.on('end', () => {
      seen.push({ path: req.path, body: req.body, rawLength });
      res.status(204).end();
    });
  });
  app.all('/{*rest}', (req, res) => {
    seen.push({ path: req.path, body: req.body });
    res.json({ received: req.body ?? null });
  });
  app.use(errorHandler());
  return { app, seen };
}

const routes: BodyGuardOptions['routes'] = [
  {
    path: '/api/csp-report-endpoint',
    types: ['application/csp-report', 'application/reports+json', 'application/json'],
    limit: 64 * 1024,
  },
  { path: '/api/wallets*', types: ['application/jose', 'application/json'] },
];

function expectRefusal(res: request.Response, status: number, code: string): void {
  expect(res.status).toBe(status);
  expect(res.headers['content-type']).toMatch(/^application\/json/);
  expect(res.body).toEqual({ error: { code, message: expect.any(String) } });
}

describe('bodyGuard, JSON', () => {
  const { app, seen } = appWith({ routes });
  beforeEach(() => (seen.length = 0));

  it('parses JSON into req.body', async () => {
    const res = await request(app).post('/api/echo').send({ a: 1 });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ received: { a: 1 } });
  });

  it.each(['PUT', 'PATCH'] as const)('checks %s too', async (method) => {
    const test = method === 'PUT' ? request(app).put('/api/echo') : request(app).patch('/api/echo');
    const res = await test.set('Content-Type', 'text/plain').send('hello');
    expectRefusal(res, 415, 'unsupported_media_type');
    expect(seen).toHaveLength(0);
  });

  it('answers malformed JSON with 400 invalid_json, without echoing it and without reaching the route', async () => {
    const res = await request(app)
      .post('/api/echo')
      .set('Content-Type', 'application/json')
      .send('{"marker-7c1f": <script>');
    expectRefusal(res, 400, 'invalid_json');
    expect(res.text).not.toContain('marker-7c1f');
    expect(res.text).not.toContain('script');
    expect(res.text).not.toContain('at ');
    expect(seen).toHaveLength(0);
  });

  it('is strict: a bare string is not a JSON body', async () => {
    const res = await request(app)
      .post('/api/echo')
      .set('Content-Type', 'application/json')
      .send('"just-a-string"');
    expectRefusal(res, 400, 'invalid_json');
  });

  it('refuses a body over 1 MB with 413 payload_too_large', async () => {
    const big = JSON.stringify({ data: 'x'.repeat(1024 * 1024) });
    const res = await request(app).post('/api/echo').set('Content-Type', 'application/json').send(big);
    expectRefusal(res, 413, 'payload_too_large');
    expect(seen).toHaveLength(0);
  });

  it('accepts a body just under 1 MB', async () => {
    const body = JSON.stringify({ data: 'x'.repeat(1024 * 1024 - 20) });
    const res = await request(app).post('/api/echo').set('Content-Type', 'application/json').send(body);
    expect(res.status).toBe(200);
  });

  it('counts a chunked body as it arrives', async () => {
    let server: RunningServer | undefined;
    try {
      server = await listen(app);
      const { status, body } = await new Promise<{ status: number; body: string }>((resolve, reject) => {
        const req = httpRequest(
          `${server!.url}/api/echo`,
          { method: 'POST', headers: { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked' } },
          (res) => {
            let text = '';
            res.setEncoding('utf8');
            res.on('data', (chunk: string) => (text += chunk));
            res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
          },
        );
        req.on('error', reject);
        req.write('{"data":"');
        for (let i = 0; i < 17; i += 1) req.write('x'.repeat(64 * 1024));
        req.end('"}');
      });
      expect(status).toBe(413);
      expect(JSON.parse(body)).toEqual({ error: { code: 'payload_too_large', message: expect.any(String) } });
      expect(seen).toHaveLength(0);
    } finally {
      await server?.close();
    }
  });

  it.each([
    ['text/plain', 'hello'],
    ['application/x-www-form-urlencoded', 'a=1'],
    ['multipart/form-data; boundary=x', '--x--'],
    ['application/jsonx', '{}'],
    ['application/csp-report', '{}'],
  ])('refuses Content-Type %s with 415 unsupported_media_type', async (type, body) => {
    const res = await request(app).post('/api/echo').set('Content-Type', type).send(body);
    expectRefusal(res, 415, 'unsupported_media_type');
    expect(res.text).not.toContain(type.split(';')[0]!.split('/')[1]!);
    expect(seen).toHaveLength(0);
  });

  it('refuses a body without a Content-Type', async () => {
    const res = await request(app).post('/api/echo').set('Content-Length', '2').send(Buffer.from('{}'));
    expectRefusal(res, 415, 'unsupported_media_type');
  });

  it('accepts parameters and any case in the media type', async () => {
    const res = await request(app)
      .post('/api/echo')
      .set('Content-Type', 'Application/JSON; charset=utf-8')
      .send('{"a":2}');
    expect(res.body).toEqual({ received: { a: 2 } });
  });

  it('refuses an unsupported charset and a compressed body', async () => {
    const latin = await request(app)
      .post('/api/echo')
      .set('Content-Type', 'application/json; charset=latin1')
      .send('{}');
    expectRefusal(latin, 415, 'unsupported_media_type');
    const gzip = await request(app)
      .post('/api/echo')
      .set('Content-Type', 'application/json')
      .set('Content-Encoding', 'gzip')
      .send(gzipSync('{"a":1}'));
    expectRefusal(gzip, 415, 'unsupported_media_type');
    expect(seen).toHaveLength(0);
  });

  it('lets requests without a body through (logout, refresh)', async () => {
    const empty = await request(app).post('/api/auth/logout');
    expect(empty.status).toBe(200);
    const zero = await request(app)
      .post('/api/auth/refresh')
      .set('Content-Type', 'text/plain')
      .set('Content-Length', '0');
    expect(zero.status).toBe(200);
    expect(seen.map((s) => s.path)).toEqual(['/api/auth/logout', '/api/auth/refresh']);
  });

  it('leaves other methods alone', async () => {
    const res = await request(app).delete('/api/echo').set('Content-Type', 'text/plain').send('x');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ received: null });
  });
});

describe('bodyGuard, per-route types', () => {
  const { app, seen } = appWith({ routes });
  beforeEach(() => (seen.length = 0));

  it.each(['application/csp-report', 'application/reports+json'])(
    'leaves %s unread for the route',
    async (type) => {
      const body = JSON.stringify({ 'csp-report': { 'document-uri': 'https://a.example' } });
      const res = await request(app)
        .post('/api/csp-report-endpoint?version=1')
        .set('Content-Type', type)
        .send(body);
      expect(res.status).toBe(204);
      expect(seen).toEqual([{ path: '/api/csp-report-endpoint', body: undefined, rawLength: body.length }]);
    },
  );

  it('parses JSON there under the route limit', async () => {
    const res = await request(app)
      .post('/api/csp-report-endpoint')
      .set('Content-Type', 'application/json')
      .send({ data: 'x'.repeat(70 * 1024) });
    expectRefusal(res, 413, 'payload_too_large');
    expect(seen).toHaveLength(0);
  });

  it('refuses an unread type whose declared length is over the route limit, before reading it', async () => {
    const res = await request(app)
      .post('/api/csp-report-endpoint')
      .set('Content-Type', 'application/csp-report')
      .send('x'.repeat(65 * 1024));
    expectRefusal(res, 413, 'payload_too_large');
    expect(seen).toHaveLength(0);
  });

  it('refuses a type the route does not accept', async () => {
    const res = await request(app)
      .post('/api/csp-report-endpoint')
      .set('Content-Type', 'text/plain')
      .send('x');
    expectRefusal(res, 415, 'unsupported_media_type');
  });

  it('matches a prefix route, case-insensitively and with a trailing slash, as Express routes', async () => {
    for (const path of ['/api/wallets/w1/sign', '/API/Wallets/w1/sign/']) {
      const res = await request(app).post(path).set('Content-Type', 'application/jose').send('eyJh.b.c.d.e');
      expect(res.status).toBe(204);
    }
    expect(seen.map((s) => s.rawLength)).toEqual([12, 12]);
  });

  it('does not accept the route types elsewhere', async () => {
    const res = await request(app)
      .post('/api/other')
      .set('Content-Type', 'application/jose')
      .send('eyJh.b.c.d.e');
    expectRefusal(res, 415, 'unsupported_media_type');
  });

  it('takes a RegExp or function as path', async () => {
    const custom = appWith({
      routes: [
        { path: /^\/upload\/\d+$/, types: ['text/plain'] },
        { path: (path) => path === '/fn', types: ['text/csv'] },
      ],
    });
    expect(
      (await request(custom.app).post('/upload/7').set('Content-Type', 'text/plain').send('x')).status,
    ).toBe(200);
    expect((await request(custom.app).post('/fn').set('Content-Type', 'text/csv').send('x')).status).toBe(
      200,
    );
    expect(
      (await request(custom.app).post('/upload/x').set('Content-Type', 'text/plain').send('x')).status,
    ).toBe(415);
  });

  it('takes its own global limit and types', async () => {
    const custom = appWith({ limit: 10, types: ['application/json', 'text/plain'] });
    expect((await request(custom.app).post('/a').send({ a: 'short' })).status).toBe(413);
    expect((await request(custom.app).post('/a').send({ a: 1 })).status).toBe(200);
    expect(
      (await request(custom.app).post('/a').set('Content-Type', 'text/plain').send('0123456789ab')).status,
    ).toBe(413);
  });

  it('drains a refused body up to the limit, then answers and closes the connection', async () => {
    const custom = appWith({ limit: 100 });
    const server = await listen(custom.app);
    const agent = new Agent({ keepAlive: true });
    const post = (size: number) =>
      new Promise<{ status: number; connection: string | undefined; body: string }>((resolve, reject) => {
        const req = httpRequest(
          `${server.url}/a`,
          {
            method: 'POST',
            agent,
            headers: { 'Content-Type': 'text/plain', 'Content-Length': String(size) },
          },
          (res) => {
            let body = '';
            res.setEncoding('utf8');
            res.on('data', (chunk: string) => (body += chunk));
            res.on('end', () =>
              resolve({ status: res.statusCode ?? 0, connection: res.headers.connection, body }),
            );
          },
        );
        req.on('error', reject);
        req.end('x'.repeat(size));
      });
    try {
      const small = await post(50);
      expect(small.status).toBe(415);
      expect(small.connection).toBe('keep-alive');
      const large = await post(5000);
      expect(large.status).toBe(415);
      expect(JSON.parse(large.body)).toEqual({
        error: { code: 'unsupported_media_type', message: expect.any(String) },
      });
      expect(large.connection).toBe('close');
      expect(custom.seen).toHaveLength(0);
    } finally {
      agent.destroy();
      await server.close();
    }
  });

  it('inflates compressed JSON only when asked to', async () => {
    const custom = appWith({ inflate: true });
    const server = await listen(custom.app);
    try {
      const res = await fetch(`${server.url}/a`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', 'Content-Encoding': 'gzip' },
        body: gzipSync('{"a":1}'),
      });
      expect(await res.json()).toEqual({ received: { a: 1 } });
    } finally {
      await server.close();
    }
  });
});

describe('bodyGuard options', () => {
  it.each<[string, BodyGuardOptions]>([
    ['limit', { limit: 0 }],
    ['limit', { limit: '1mb' as never }],
    ['types', { types: ['json'] }],
    ['types', { types: ['application/json; charset=utf-8'] }],
    ['routes', { routes: {} as never }],
    ['routes[0].path', { routes: [{ path: 'api/x', types: ['application/json'] }] }],
    ['routes[0].path', { routes: [{ path: '/a*b', types: ['application/json'] }] }],
    ['routes[0].types', { routes: [{ path: '/a', types: 'application/json' as never }] }],
    ['routes[0].limit', { routes: [{ path: '/a', types: ['application/json'], limit: -5 }] }],
    ['methods', { methods: ['POST PUT'] }],
    ['inflate', { inflate: 'yes' as never }],
  ])('refuses a bad `%s` at start-up', (option, options) => {
    expect(() => bodyGuard(options)).toThrow(ShieldwallConfigError);
    expect(() => bodyGuard(options)).toThrow(`option \`${option}\``);
  });

  it('does not change the options it is given', () => {
    const given = { routes: [{ path: '/A/', types: ['Application/JSON'] }], methods: ['post'] };
    const copy = structuredClone(given);
    bodyGuard(given);
    expect(given).toEqual(copy);
  });
});
