import express from 'express';
import express4 from 'express4';
import request from 'supertest';
import { errorHandler, notFoundHandler, ShieldwallError, wrapAsync, type Logger } from '../src/index.js';

function recordingLogger(): Logger & { errors: unknown[] } {
  const errors: unknown[] = [];
  return { errors, info() {}, warn() {}, error: (message, fields) => errors.push({ message, fields }) };
}

function appWith(logger = recordingLogger(), factory: typeof express = express) {
  const app = factory();
  app.post('/json', factory.json({ limit: '1kb' }), (req, res) => {
    res.json({ got: req.body as unknown });
  });
  app.get('/refuse', () => {
    throw new ShieldwallError(429, 'rate_limited', 'Too many requests.', {
      details: { retryAfter: 7, code: 'ignored' },
      headers: { 'Retry-After': '7' },
    });
  });
  app.get('/boom', () => {
    throw new Error('database password is hunter2');
  });
  app.get(
    '/async-boom',
    wrapAsync(async () => {
      await Promise.resolve();
      throw new Error('async failure');
    }),
  );
  app.get('/teapot', (_req, _res, next) => {
    next(Object.assign(new Error('user said <b>hi</b>'), { status: 418 }));
  });
  app.use(notFoundHandler());
  app.use(errorHandler({ logger }));
  return { app, logger };
}

describe('errorHandler', () => {
  it('keeps a Shieldwall error’s status, code, details and headers, but never lets details override code', async () => {
    const res = await request(appWith().app).get('/refuse').expect(429);
    expect(res.body).toEqual({
      error: { code: 'rate_limited', message: 'Too many requests.', retryAfter: 7 },
    });
    expect(res.headers['retry-after']).toBe('7');
    expect(res.headers['cache-control']).toBe('no-store');
  });

  it('turns malformed JSON into 400 invalid_json without quoting the body', async () => {
    const res = await request(appWith().app)
      .post('/json')
      .set('Content-Type', 'application/json')
      .send('{"a": <script>}')
      .expect(400);
    expect(res.body).toEqual({
      error: { code: 'invalid_json', message: 'The request body is not valid JSON.' },
    });
    expect(res.text).not.toContain('script');
  });

  it('turns an oversized body into 413 payload_too_large', async () => {
    const res = await request(appWith().app)
      .post('/json')
      .set('Content-Type', 'application/json')
      .send(JSON.stringify({ a: 'x'.repeat(2000) }))
      .expect(413);
    expect(res.body.error.code).toBe('payload_too_large');
  });

  it('turns an unsupported charset into 415 unsupported_media_type', async () => {
    const res = await request(appWith().app)
      .post('/json')
      .set('Content-Type', 'application/json; charset=klingon')
      .send('{}')
      .expect(415);
    expect(res.body.error.code).toBe('unsupported_media_type');
  });

  it('answers unexpected errors with 500 internal_error, logs them, and leaks nothing', async () => {
    const { app, logger } = appWith();
    const res = await request(app).get('/boom').expect(500);
    expect(res.body).toEqual({
      error: { code: 'internal_error', message: 'Something went wrong on our side.' },
    });
    expect(res.text).not.toContain('hunter2');
    expect(res.text).not.toContain('at ');
    expect(logger.errors).toHaveLength(1);
  });

  it('catches rejections of wrapped async handlers', async () => {
    const res = await request(appWith().app).get('/async-boom').expect(500);
    expect(res.body.error.code).toBe('internal_error');
  });

  it('gives other 4xx errors a generic code and a fixed message', async () => {
    const res = await request(appWith().app).get('/teapot').expect(418);
    expect(res.body).toEqual({ error: { code: 'client_error', message: 'The request was refused.' } });
  });

  it('answers unknown routes with 404 not_found', async () => {
    const res = await request(appWith().app).get('/nope').expect(404);
    expect(res.body.error.code).toBe('not_found');
  });

  it('works the same on Express 4 (smoke)', async () => {
    const { app } = appWith(recordingLogger(), express4);
    expect((await request(app).get('/refuse').expect(429)).body.error.code).toBe('rate_limited');
    expect((await request(app).get('/async-boom').expect(500)).body.error.code).toBe('internal_error');
    expect(
      (await request(app).post('/json').set('Content-Type', 'application/json').send('{bad').expect(400)).body
        .error.code,
    ).toBe('invalid_json');
  });
});
