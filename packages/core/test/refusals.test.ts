import express from 'express';
import express4 from 'express4';
import request from 'supertest';
import {
  answerRefusals,
  errorHandler,
  refusals,
  ShieldwallError,
  silentLogger,
  wrapAsync,
  type Logger,
  type OnRefused,
} from '../src/index.js';

const tooMany = () =>
  new ShieldwallError(429, 'rate_limited', 'Too many requests.', {
    details: { retryAfter: 7 },
    headers: { 'Retry-After': '7' },
  });

function appRefusing(error: () => unknown, refuse = answerRefusals, factory: typeof express = express) {
  const app = factory();
  let reachedRoute = false;
  app.use(
    wrapAsync(async () => {
      await Promise.resolve();
      throw error();
    }, refuse),
  );
  app.use((req, res, next) => refuse(error(), req, res, next));
  app.get('/', (_req, res) => {
    reachedRoute = true;
    res.end();
  });
  return { app, reached: () => reachedRoute };
}

describe('refusals: a refusing middleware answers by itself', () => {
  it.each([
    ['Express 5', express],
    ['Express 4', express4],
  ])('sends the JSON envelope with its status, code and headers, no HTML, under %s', async (_n, factory) => {
    const { app, reached } = appRefusing(tooMany, answerRefusals, factory);
    const res = await request(app).get('/').expect(429);
    expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(res.headers['retry-after']).toBe('7');
    expect(res.body).toEqual({
      error: { code: 'rate_limited', message: 'Too many requests.', retryAfter: 7 },
    });
    expect(res.text).not.toMatch(/<|at .*\.ts/);
    expect(reached()).toBe(false);
  });

  it('hands failures (5xx, plain errors) on to next, where errorHandler logs them', async () => {
    const logged: unknown[] = [];
    const logger: Logger = { ...silentLogger, error: (message) => logged.push(message) };
    for (const failure of [
      () => new Error('db down'),
      () => new ShieldwallError(503, 'store_unavailable', 'x'),
    ]) {
      const { app } = appRefusing(failure);
      app.use(errorHandler({ logger }));
      await request(app)
        .get('/')
        .expect(failure().constructor === Error ? 500 : 503);
    }
    expect(logged).toEqual(['unexpected error', 'request failed']);
  });

  it('lets onRefused take over, and sends what it throws to next', async () => {
    const seen: string[] = [];
    const onRefused: OnRefused = (error, _req, res) => {
      seen.push(error.code);
      res.status(error.status).type('text/plain').send(`slow down (${error.code})`);
    };
    const { app } = appRefusing(tooMany, refusals('@x/y', onRefused));
    const res = await request(app).get('/').expect(429);
    expect(res.text).toBe('slow down (rate_limited)');
    expect(seen).toEqual(['rate_limited']);

    const throwing = refusals('@x/y', () => {
      throw new Error('handler bug');
    });
    const broken = appRefusing(tooMany, throwing).app;
    broken.use(errorHandler({ logger: silentLogger }));
    const failed = await request(broken).get('/').expect(500);
    expect(failed.body.error.code).toBe('internal_error');
  });

  it('refuses an onRefused that is not a function at start-up', () => {
    expect(() => refusals('@x/y', 'json')).toThrow(
      /^@x\/y: option `onRefused` is "json"; pass a function \(error, req, res, next\) => void/,
    );
  });
});

describe('errorHandler logs unexpected errors by default', () => {
  it('writes a 500 to the console when no logger is given, and nothing for a refusal', async () => {
    const errors: unknown[][] = [];
    const spy = jest.spyOn(console, 'error').mockImplementation((...args: unknown[]) => {
      errors.push(args);
    });
    try {
      const app = express();
      app.get('/boom', () => {
        throw new Error('database password is hunter2');
      });
      app.get('/refuse', () => {
        throw tooMany();
      });
      app.use(errorHandler());
      const res = await request(app).get('/boom').expect(500);
      expect(res.text).not.toContain('hunter2');
      await request(app).get('/refuse').expect(429);
      expect(errors).toHaveLength(1);
      expect(errors[0]![0]).toBe('unexpected error');
      expect(JSON.stringify(errors[0]![1])).toContain('database password is hunter2');
    } finally {
      spy.mockRestore();
    }
  });
});
