import express from 'express';
import request from 'supertest';
import { manualClock, memoryStore } from '@shieldwall/core';
import { jwtCookies, type JwtCookiesOptions } from '../src/index.js';
import { key1 } from './helpers.js';

// A bare app, as a Node team starts: no errorHandler() mounted.
function bareApp(options: Partial<JwtCookiesOptions> = {}) {
  const clock = manualClock();
  const store = memoryStore({ clock });
  const auth = jwtCookies({ keys: [key1], secure: false, clock, store, ...options });
  const app = express();
  let served = 0;
  app.get('/me', auth.requireAuth, (_req, res) => {
    served++;
    res.json({ ok: true });
  });
  app.post('/api/auth/refresh', auth.refresh);
  return {
    app,
    served: () => served,
    close: async () => {
      await auth.close();
      await store.close();
    },
  };
}

describe('jwtCookies refusals answer by themselves', () => {
  it.each([
    ['no access cookie', undefined, 'unauthenticated'],
    ['a forged access cookie', 'at=not.a.jwt', 'token_invalid'],
  ])('requireAuth answers %s with 401 JSON, without errorHandler', async (_n, cookie, code) => {
    const h = bareApp();
    try {
      const req = request(h.app).get('/me');
      const res = await (cookie ? req.set('Cookie', cookie) : req).expect(401);
      expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
      expect(res.body.error.code).toBe(code);
      expect(res.text).not.toMatch(/<html|<pre|at .*\(/i);
      expect(h.served()).toBe(0);
    } finally {
      await h.close();
    }
  });

  it('refresh without a cookie answers 401 JSON, and onRefused takes over both', async () => {
    const plain = bareApp();
    const codes: string[] = [];
    const custom = bareApp({
      onRefused: (error, _req, res) => {
        codes.push(error.code);
        res.status(error.status).send('sign in');
      },
    });
    try {
      const res = await request(plain.app).post('/api/auth/refresh').expect(401);
      expect(res.body.error.code).toBe('unauthenticated');
      expect((await request(custom.app).post('/api/auth/refresh').expect(401)).text).toBe('sign in');
      expect((await request(custom.app).get('/me').expect(401)).text).toBe('sign in');
      expect(codes).toEqual(['unauthenticated', 'unauthenticated']);
      expect(custom.served()).toBe(0);
    } finally {
      await plain.close();
      await custom.close();
    }
  });
});
