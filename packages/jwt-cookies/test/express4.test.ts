import express4 from 'express4';
import request from 'supertest';
import { errorHandler, manualClock } from '@shieldwall/core';
import { jwtCookies } from '../src/index.js';
import { cookieHeader, key1, setCookies } from './helpers.js';

describe('jwt-cookies on Express 4', () => {
  it('signs in, authenticates, refreshes and refuses with the envelope', async () => {
    const clock = manualClock();
    const auth = jwtCookies({ keys: [key1], secure: false, clock });
    const app = express4();
    app.post('/api/auth/login', (_req, res, next) => {
      auth.signIn(res, 'user-1').then(() => res.status(204).end(), next);
    });
    app.post('/api/auth/refresh', auth.refresh);
    app.get('/me', auth.requireAuth, (_req, res) => {
      res.json({ sub: (res.locals.auth as { sub: string }).sub });
    });
    app.use(errorHandler());
    try {
      const cookies = setCookies(await request(app).post('/api/auth/login').expect(204));
      await request(app).get('/me').set('Cookie', cookieHeader(cookies)).expect(200, { sub: 'user-1' });
      clock.advance(21 * 60_000);
      const expired = await request(app).get('/me').set('Cookie', cookieHeader(cookies)).expect(401);
      expect(expired.body.error.code).toBe('token_expired');
      const fresh = setCookies(
        await request(app).post('/api/auth/refresh').set('Cookie', cookieHeader(cookies)).expect(204),
      );
      await request(app).get('/me').set('Cookie', cookieHeader(fresh)).expect(200);
      clock.advance(60_000);
      const reused = await request(app)
        .post('/api/auth/refresh')
        .set('Cookie', cookieHeader(cookies))
        .expect(401);
      expect(reused.body.error.code).toBe('refresh_reused');
    } finally {
      await auth.close();
    }
  });
});
