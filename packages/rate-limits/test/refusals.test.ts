import express from 'express';
import request from 'supertest';
import type { ShieldwallError } from '@shieldwall/core';
import { rateLimit, type RateLimitHandler } from '../src/index.js';

const minute = 60_000;

// A bare app, as a Node team starts: no errorHandler() mounted.
function bareApp(limiter: RateLimitHandler) {
  const app = express();
  let served = 0;
  app.get('/probe', limiter, (_req, res) => {
    served++;
    res.json({ ok: true });
  });
  return { app, served: () => served };
}

describe('rateLimit refusals answer by themselves', () => {
  const open: RateLimitHandler[] = [];
  afterEach(async () => {
    for (const l of open.splice(0)) await l.close();
  });
  const limiter = (options: Parameters<typeof rateLimit>[0]) => {
    const l = rateLimit(options);
    open.push(l);
    return l;
  };

  it('sends 429 rate_limited as JSON with Retry-After, without errorHandler, and no HTML or stack', async () => {
    const { app, served } = bareApp(limiter({ name: 'login', limit: 1, windowMs: minute }));
    await request(app).get('/probe').expect(200);
    const res = await request(app).get('/probe').expect(429);
    expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
    expect(res.body.error.code).toBe('rate_limited');
    expect(res.body.error.retryAfter).toBe(Number(res.headers['retry-after']));
    expect(res.text).not.toMatch(/<html|<pre|at .*\(/i);
    expect(served()).toBe(1);
  });

  it('hands refusals to onRefused, which takes over the answer', async () => {
    const seen: ShieldwallError[] = [];
    const { app, served } = bareApp(
      limiter({
        name: 'login',
        limit: 1,
        windowMs: minute,
        onRefused: (error, _req, res) => {
          seen.push(error);
          res.status(error.status).set(error.headers).send('slow down');
        },
      }),
    );
    await request(app).get('/probe').expect(200);
    const res = await request(app).get('/probe').expect(429);
    expect(res.text).toBe('slow down');
    expect(res.headers['retry-after']).toBe(seen[0]!.headers!['Retry-After']);
    expect(seen.map((e) => e.code)).toEqual(['rate_limited']);
    expect(served()).toBe(1);
  });

  it('answers express-rate-limit’s `handler` with onRefused, and refuses a non-function', () => {
    expect(() => rateLimit({ name: 'x', handler: () => {} } as never)).toThrow(
      /rateLimit\(\) has no option `handler`; did you mean `onRefused`\?/,
    );
    expect(() => rateLimit({ name: 'x', onRefused: 'json' as never })).toThrow(
      /option `onRefused` is "json"; pass a function/,
    );
  });
});
