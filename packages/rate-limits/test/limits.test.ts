import { createRequire } from 'node:module';
import express from 'express';
import { errorHandler, manualClock, type Logger } from '@shieldwall/core';
import request from 'supertest';
import { rateLimit, type RateLimitHandler } from '../src/index.js';
import { probeApp } from './probe-app.js';

const minute = 60_000;

describe('rateLimit with the memory store', () => {
  const open: RateLimitHandler[] = [];
  const limiter = (options: Parameters<typeof rateLimit>[0]): RateLimitHandler => {
    const l = rateLimit(options);
    open.push(l);
    return l;
  };
  afterEach(async () => {
    for (const l of open.splice(0)) await l.close();
  });

  it('sends legacy and IETF draft-7 headers on allowed requests by default', async () => {
    const app = probeApp(limiter({ name: 'api', limit: 3, windowMs: minute }));
    const first = await request(app).get('/probe').expect(200);
    expect(first.headers['x-ratelimit-limit']).toBe('3');
    expect(first.headers['x-ratelimit-remaining']).toBe('2');
    const reset = Number(first.headers['x-ratelimit-reset']);
    expect(reset).toBeGreaterThanOrEqual(Math.floor(Date.now() / 1000) + 59);
    expect(reset).toBeLessThanOrEqual(Math.ceil(Date.now() / 1000) + 60);
    expect(first.headers['ratelimit']).toMatch(/^limit=3, remaining=2, reset=(59|60)$/);
    expect(first.headers['ratelimit-policy']).toBe('3;w=60');
    expect(first.headers['retry-after']).toBeUndefined();
    const second = await request(app).get('/probe').expect(200);
    expect(second.headers['x-ratelimit-remaining']).toBe('1');
  });

  it("writes each header once: one Date (Node's), one set of X-RateLimit-*", async () => {
    const app = probeApp([limiter({ name: 'api', limit: 5 }), limiter({ name: 'login', limit: 3 })]);
    const res = await request(app).get('/probe').expect(200);
    const names = (res as unknown as { res: { rawHeaders: string[] } }).res.rawHeaders
      .filter((_, i) => i % 2 === 0)
      .map((name) => name.toLowerCase());
    expect(names.filter((name) => name === 'date')).toHaveLength(1);
    expect(new Set(names).size).toBe(names.length);
    // The route's own limiter (the last one) sets the values.
    expect(res.headers['x-ratelimit-limit']).toBe('3');
    expect(res.headers['ratelimit']).toMatch(/^limit=3, remaining=2, reset=/);
  });

  it.each([
    [
      'draft-8',
      { ratelimit: /^"api"; r=2; t=60$/, 'ratelimit-policy': /^"api"; q=3; w=60; pk=:[A-Za-z0-9+/=]+:$/ },
    ],
    ['draft-6', { 'ratelimit-limit': /^3$/, 'ratelimit-remaining': /^2$/, 'ratelimit-reset': /^60$/ }],
  ] as const)('sends the IETF %s header set when asked', async (draft, expected) => {
    const clock = manualClock();
    const app = probeApp(limiter({ name: 'api', limit: 3, windowMs: minute, clock, standardHeaders: draft }));
    const res = await request(app).get('/probe').expect(200);
    for (const [name, pattern] of Object.entries(expected)) expect(res.headers[name]).toMatch(pattern);
    expect(res.headers['x-ratelimit-remaining']).toBe('2');
  });

  it('with standardHeaders: false sends X-RateLimit-* only, and Retry-After on a refusal', async () => {
    const clock = manualClock();
    const app = probeApp(
      limiter({ name: 'login', limit: 1, windowMs: minute, clock, standardHeaders: false }),
    );
    const ok = await request(app).post('/probe').expect(200);
    expect(Object.keys(ok.headers).filter((name) => name.startsWith('ratelimit'))).toEqual([]);
    expect(ok.headers['x-ratelimit-remaining']).toBe('0');
    clock.advance(20_000);
    const refused = await request(app).post('/probe').expect(429);
    expect(refused.body.error).toEqual(expect.objectContaining({ code: 'rate_limited', retryAfter: 40 }));
    expect(refused.headers['retry-after']).toBe('40');
    expect(refused.headers['x-ratelimit-remaining']).toBe('0');
    expect(refused.headers['x-ratelimit-limit']).toBe('1');
    expect(Object.keys(refused.headers).filter((name) => name.startsWith('ratelimit'))).toEqual([]);
  });

  it('refuses over the limit with 429 rate_limited, retryAfter and Retry-After, and the headers', async () => {
    const clock = manualClock();
    const app = probeApp(limiter({ name: 'login', limit: 2, windowMs: minute, clock }));
    await request(app).post('/probe').expect(200);
    await request(app).post('/probe').expect(200);
    clock.advance(20_000);
    const refused = await request(app).post('/probe').expect(429);
    expect(refused.headers['content-type']).toMatch(/application\/json/);
    expect(refused.body).toEqual({
      error: { code: 'rate_limited', message: 'Too many requests; try again later.', retryAfter: 40 },
    });
    expect(refused.headers['retry-after']).toBe('40');
    expect(refused.headers['x-ratelimit-limit']).toBe('2');
    expect(refused.headers['x-ratelimit-remaining']).toBe('0');
    expect(refused.headers['ratelimit']).toBe('limit=2, remaining=0, reset=40');
    expect(refused.headers['cache-control']).toBe('no-store');
  });

  it('opens a fresh window when the clock passes the reset, without sleeping', async () => {
    const clock = manualClock();
    const app = probeApp(limiter({ name: 'login', limit: 1, windowMs: minute, clock }));
    await request(app).post('/probe').expect(200);
    await request(app).post('/probe').expect(429);
    clock.advance(minute - 1);
    await request(app).post('/probe').expect(429);
    clock.advance(1);
    const fresh = await request(app).post('/probe').expect(200);
    expect(fresh.headers['x-ratelimit-remaining']).toBe('0');
    expect(fresh.headers['ratelimit']).toBe('limit=1, remaining=0, reset=60');
  });

  it('keeps a separate budget per limiter name for the same IP', async () => {
    const clock = manualClock();
    const login = limiter({ name: 'login', limit: 1, clock });
    const register = limiter({ name: 'register', limit: 1, clock });
    const loginApp = probeApp(login);
    const registerApp = probeApp(register);
    await request(loginApp).post('/probe').expect(200);
    await request(loginApp).post('/probe').expect(429);
    await request(registerApp).post('/probe').expect(200);
  });

  it('ignores a forged X-Forwarded-For or CF-Connecting-IP from an untrusted peer', async () => {
    const app = probeApp(limiter({ name: 'login', limit: 2 }));
    await request(app).post('/probe').set('X-Forwarded-For', '198.51.100.1').expect(200);
    await request(app).post('/probe').set('CF-Connecting-IP', '198.51.100.2').expect(200);
    const refused = await request(app)
      .post('/probe')
      .set('X-Forwarded-For', '198.51.100.3')
      .set('CF-Connecting-IP', '198.51.100.4')
      .set('True-Client-IP', '198.51.100.5')
      .expect(429);
    expect(refused.body.error.code).toBe('rate_limited');
  });

  it('counts by the IP that request-guard resolved', async () => {
    const app = probeApp(limiter({ name: 'login', limit: 1 }), { resolveIpFrom: 'x-test-ip' });
    await request(app).post('/probe').set('x-test-ip', '203.0.113.1').expect(200);
    await request(app).post('/probe').set('x-test-ip', '203.0.113.1').expect(429);
    await request(app).post('/probe').set('x-test-ip', '203.0.113.2').expect(200);
  });

  it('groups IPv6 clients by /56 by default, and by the configured subnet', async () => {
    const app = probeApp(limiter({ name: 'login', limit: 1 }), { resolveIpFrom: 'x-test-ip' });
    await request(app).post('/probe').set('x-test-ip', '2001:db8:0:1::1').expect(200);
    // Same /56 (2001:db8:0:0-ff), another address: the same budget.
    await request(app).post('/probe').set('x-test-ip', '2001:db8:0:ff:abcd::9').expect(429);
    // The next /56 is another client.
    await request(app).post('/probe').set('x-test-ip', '2001:db8:0:100::1').expect(200);

    const wide = probeApp(limiter({ name: 'register', limit: 1, ipv6Subnet: 64 }), {
      resolveIpFrom: 'x-test-ip',
    });
    await request(wide).post('/probe').set('x-test-ip', '2001:db8:0:1::1').expect(200);
    await request(wide).post('/probe').set('x-test-ip', '2001:db8:0:2::1').expect(200);
    await request(wide).post('/probe').set('x-test-ip', '2001:db8:0:1::2').expect(429);
  });

  it('never limits allowlisted IPs and CIDRs, and limits everyone else', async () => {
    const app = probeApp(limiter({ name: 'api', limit: 1, allowlist: ['10.0.0.0/8', '2001:db8::1'] }), {
      resolveIpFrom: 'x-test-ip',
    });
    for (let i = 0; i < 3; i += 1) {
      const res = await request(app).get('/probe').set('x-test-ip', '10.1.2.3').expect(200);
      expect(res.headers['x-ratelimit-limit']).toBeUndefined();
      await request(app).get('/probe').set('x-test-ip', '2001:db8::1').expect(200);
    }
    await request(app).get('/probe').set('x-test-ip', '11.0.0.1').expect(200);
    await request(app).get('/probe').set('x-test-ip', '11.0.0.1').expect(429);
    await request(app).get('/probe').set('x-test-ip', '2001:db8::2').expect(200);
    await request(app).get('/probe').set('x-test-ip', '2001:db8::2').expect(429);
  });

  it('counts weighted requests by their cost, and a cost of 0 not at all', async () => {
    const cost = (req: { headers: Record<string, unknown> }): number => Number(req.headers['x-cost'] ?? 1);
    const app = probeApp(limiter({ name: 'api', limit: 10, cost }));
    const a = await request(app).get('/probe').set('x-cost', '4').expect(200);
    expect(a.headers['x-ratelimit-remaining']).toBe('6');
    await request(app).get('/probe').set('x-cost', '0').expect(200);
    const b = await request(app).get('/probe').expect(200);
    expect(b.headers['x-ratelimit-remaining']).toBe('5');
    const c = await request(app).get('/probe').set('x-cost', '5').expect(200);
    expect(c.headers['x-ratelimit-remaining']).toBe('0');
    await request(app).get('/probe').expect(429);
  });

  it('answers a broken cost function with a 500 envelope and counts nothing', async () => {
    const cost = (req: { headers: Record<string, unknown> }): number => (req.headers['x-bad'] ? 1.5 : 1);
    const app = probeApp(limiter({ name: 'api', limit: 1, cost }));
    const res = await request(app).get('/probe').set('x-bad', '1').expect(500);
    expect(res.body.error.code).toBe('internal_error');
    await request(app).get('/probe').expect(200);
  });

  it('skips what skip() says, e.g. health checks', async () => {
    const app = probeApp(limiter({ name: 'api', limit: 1, skip: (req) => req.headers['x-health'] === '1' }));
    await request(app).get('/probe').set('x-health', '1').expect(200);
    await request(app).get('/probe').set('x-health', '1').expect(200);
    await request(app).get('/probe').expect(200);
    await request(app).get('/probe').expect(429);
  });

  it('warns once, through the injected logger, when trust proxy is true', async () => {
    const warnings: Array<[string, Record<string, unknown> | undefined]> = [];
    const logger: Logger = { info() {}, error() {}, warn: (m, f) => warnings.push([m, f]) };
    const app = probeApp(limiter({ name: 'api', limit: 5, logger }), { trustProxy: true });
    await request(app).get('/probe').expect(200);
    await request(app).get('/probe').expect(200);
    expect(warnings).toEqual([
      [
        expect.stringMatching(/trust proxy is true/),
        { limiter: 'api', code: 'ERR_ERL_PERMISSIVE_TRUST_PROXY' },
      ],
    ]);
  });

  it('keeps express-rate-limit validations on: one created inside a request handler is reported to the logger', async () => {
    const errors: Array<Record<string, unknown> | undefined> = [];
    const logger: Logger = { info() {}, warn() {}, error: (_m, f) => errors.push(f) };
    const app = express();
    app.get('/make', (_req, res) => {
      open.push(rateLimit({ name: 'api', logger }));
      res.end();
    });
    await request(app).get('/make').expect(200);
    expect(errors).toEqual([
      expect.objectContaining({ limiter: 'api', code: 'ERR_ERL_CREATED_IN_REQUEST_HANDLER' }),
    ]);
  });

  it('resetKey forgets one client', async () => {
    const l = limiter({ name: 'login', limit: 1 });
    const app = probeApp(l);
    await request(app).post('/probe').expect(200);
    await request(app).post('/probe').expect(429);
    await l.resetKey('127.0.0.1');
    await request(app).post('/probe').expect(200);
  });

  it('runs on Express 4 too', async () => {
    // `express4` is express@4 under another name; it ships no types of its own.
    const express4 = createRequire(__filename)('express4') as typeof express;
    const app = express4();
    app.get('/probe', limiter({ name: 'api', limit: 1 }), (_req, res) => {
      res.json({ ok: true });
    });
    app.use(errorHandler());
    await request(app).get('/probe').expect(200);
    const res = await request(app).get('/probe').expect(429);
    expect(res.body.error.code).toBe('rate_limited');
    expect(res.headers['x-ratelimit-remaining']).toBe('0');
  });
});
