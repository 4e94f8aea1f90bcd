import { createRequire } from 'node:module';
import type express from 'express';
import { errorHandler } from '@shieldwall/core';
import { listen } from '@shieldwall/test-utils';
import { keyExchange } from '../src/index.js';
import { loadPage, webClient } from './helpers.js';

// Peer dependency express >=4.21: the same handshake and channel on Express 4 (installed as `express4`).
const express4 = createRequire(__filename)('express4') as typeof express;

describe('Express 4', () => {
  it('issues tokens, establishes a channel and answers encrypted', async () => {
    const kx = keyExchange({ secure: false });
    const app = express4();
    app.get('/page', kx.csrfToken, (_req, res) => {
      res.json({ token: res.locals.csrfToken as string });
    });
    app.get('/api/security/public-key', kx.requireCsrf, kx.publicKey);
    app.post('/api/security/session-key', kx.sessionKey);
    app.post('/api/echo', kx.requireChannel, (req, res) => {
      res.json({ body: req.body as unknown });
    });
    app.use(errorHandler());
    const server = await listen(app);
    try {
      const page = await loadPage(server.url);
      const client = webClient(server.url, page);
      const response = await client.fetch('/api/echo', { method: 'POST', body: { on: 4 } });
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual({ body: { on: 4 } });
      const plain = await fetch(`${server.url}/api/echo`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{}',
      });
      expect(plain.status).toBe(400);
      expect(((await plain.json()) as { error: { code: string } }).error.code).toBe('encryption_required');
    } finally {
      await server.close();
    }
  });
});
