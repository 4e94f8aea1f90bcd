import { createRequire } from 'node:module';
import type express from 'express';
import request from 'supertest';
import { errorHandler, getClientInfo } from '@shieldwall/core';
import { bodyGuard, clientIp, corsGuard, httpsRedirect } from '../src/index.js';

// `express4` is express@4 under another name; it ships no types of its own, so it is typed as Express here.
const load = createRequire(__filename);
const express4 = load('express4') as typeof express;
const express4Version = (load('express4/package.json') as { version: string }).version;

// The smoke suite on Express 4 (peer range >=4.21): the same middleware, mounted the same way.
describe('request-guard on Express 4', () => {
  const app = express4();
  app.set('trust proxy', 'loopback');
  app.use(httpsRedirect({ origin: 'https://app.example.com' }));
  app.use(clientIp());
  app.use(corsGuard({ origins: ['https://app.example.com'] }));
  app.use(bodyGuard({ routes: [{ path: '/report', types: ['application/csp-report'] }] }));
  app.post('/echo', (req, res) => {
    res.json({ body: req.body as unknown, ip: getClientInfo(req).ip });
  });
  app.post('/report', (req, res) => {
    res.json({ parsed: req.body !== undefined && Object.keys(req.body as object).length > 0 });
  });
  app.use(errorHandler());

  const secure = () => request(app);

  it('runs on Express 4', () => {
    expect(express4Version).toMatch(/^4\./);
  });

  it('parses JSON, reads the forwarded client and reflects an allowed origin', async () => {
    const res = await secure()
      .post('/echo')
      .set('X-Forwarded-Proto', 'https')
      .set('X-Forwarded-For', '203.0.113.9')
      .set('Origin', 'https://app.example.com')
      .send({ a: 1 });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ body: { a: 1 }, ip: '203.0.113.9' });
    expect(res.headers['access-control-allow-origin']).toBe('https://app.example.com');
    expect(res.headers.vary).toBe('Origin');
  });

  it('refuses bad JSON, a wrong type and a big body with the envelope', async () => {
    const bad = await secure()
      .post('/echo')
      .set('X-Forwarded-Proto', 'https')
      .set('Content-Type', 'application/json')
      .send('{x');
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('invalid_json');
    const type = await secure()
      .post('/echo')
      .set('X-Forwarded-Proto', 'https')
      .set('Content-Type', 'text/plain')
      .send('x');
    expect(type.status).toBe(415);
    expect(type.body.error.code).toBe('unsupported_media_type');
    const big = await secure()
      .post('/echo')
      .set('X-Forwarded-Proto', 'https')
      .send({ data: 'x'.repeat(1024 * 1024) });
    expect(big.status).toBe(413);
    expect(big.body.error.code).toBe('payload_too_large');
  });

  it('leaves a route-owned type unread', async () => {
    const res = await secure()
      .post('/report')
      .set('X-Forwarded-Proto', 'https')
      .set('Content-Type', 'application/csp-report')
      .send('{"csp-report":{}}');
    expect(res.body).toEqual({ parsed: false });
  });

  it('redirects plain HTTP and refuses a foreign preflight', async () => {
    const redirect = await secure().post('/echo').send({});
    expect(redirect.status).toBe(308);
    const preflight = await secure()
      .options('/echo')
      .set('X-Forwarded-Proto', 'https')
      .set('Origin', 'https://evil.example')
      .set('Access-Control-Request-Method', 'POST');
    expect(preflight.status).toBe(403);
    expect(preflight.body.error.code).toBe('cors_origin_denied');
  });
});
