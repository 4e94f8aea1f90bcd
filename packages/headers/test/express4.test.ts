import { createRequire } from 'node:module';
import type express from 'express';
import request from 'supertest';
import { securityHeaders } from '../src/index.js';

const load = createRequire(__filename);
const express4 = load('express4') as typeof express;

describe('headers on Express 4', () => {
  it('sets the preset, HSTS behind a trusted proxy and a nonce in res.locals', async () => {
    const app = express4();
    app.set('trust proxy', 'loopback');
    app.use(securityHeaders({ preset: 'platform', hsts: {}, csp: {} }));
    app.get('/', (_req, res) => {
      res.json({ nonce: (res.locals as { cspNonce?: string }).cspNonce });
    });
    const res = await request(app).get('/').set('X-Forwarded-Proto', 'https').expect(200);
    expect(res.headers['x-xss-protection']).toBe('1; mode=block');
    expect(res.headers['strict-transport-security']).toBe('max-age=31536000; includeSubDomains');
    expect(res.headers['x-powered-by']).toBeUndefined();
    expect(res.headers['content-security-policy']).toContain(
      `'nonce-${(res.body as { nonce: string }).nonce}'`,
    );
  });
});
