import express from 'express';
import request from 'supertest';
import { memoryStore, type Logger } from '@shieldwall/core';
import { keyExchange, type KeyExchangeOptions } from '../src/index.js';
import { countingStore, testSealer } from './helpers.js';

// A bare app, as a Node team starts: no errorHandler() mounted.
function bareApp(options: Partial<KeyExchangeOptions> = {}) {
  const logged: string[] = [];
  const logger: Logger = {
    info: (message) => logged.push(`info ${message}`),
    warn: (message) => logged.push(`warn ${message}`),
    error: (message) => logged.push(`error ${message}`),
  };
  const store = countingStore(memoryStore());
  const kx = keyExchange({ store, sealer: testSealer(), secure: false, logger, ...options });
  const app = express();
  let served = 0;
  const serve = (_req: express.Request, res: express.Response) => {
    served++;
    res.json({ ok: true });
  };
  app.get('/api/security/public-key', kx.requireCsrf, kx.publicKey);
  app.post('/api/security/session-key', kx.sessionKey);
  app.post('/api/data', kx.requireChannel, serve);
  return { app, logged, store, served: () => served };
}

describe('keyExchange refusals answer by themselves', () => {
  it.each([
    [
      'requireCsrf without a token',
      (app: express.Express) => request(app).get('/api/security/public-key'),
      403,
      'csrf_invalid',
    ],
    [
      'sessionKey without a token',
      (app: express.Express) => request(app).post('/api/security/session-key'),
      403,
      'csrf_invalid',
    ],
    [
      'requireChannel with plaintext',
      (app: express.Express) => request(app).post('/api/data').send({ a: 1 }),
      400,
      'encryption_required',
    ],
    [
      'requireChannel with a forged envelope',
      (app: express.Express) =>
        request(app).post('/api/data').set('Content-Type', 'application/jose').send('a.b.c.d.e'),
      400,
      'invalid_envelope',
    ],
    [
      'sessionKey for an unknown app version',
      (app: express.Express) =>
        request(app)
          .post('/api/security/session-key')
          .set('X-App-Platform', 'ios')
          .set('X-App-Version', '1.0.0'),
      400,
      'unknown_app_version',
    ],
  ])('%s: the JSON envelope, nothing served, stored or logged', async (_name, send, status, code) => {
    const h = bareApp();
    const writes = h.store.writes();
    const res = await send(h.app).expect(status);
    expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(res.body).toEqual({ error: { code, message: expect.any(String) } });
    expect(res.text).not.toMatch(/<html|<pre|at .*\(/i);
    expect(h.served()).toBe(0);
    expect(h.store.writes()).toBe(writes);
    expect(h.logged).toEqual([]);
  });

  it('onRefused takes over every refusal; handler is suggested for it', async () => {
    const codes: string[] = [];
    const h = bareApp({
      onRefused: (error, _req, res) => {
        codes.push(error.code);
        res.status(error.status).type('text/plain').send('refused');
      },
    });
    expect((await request(h.app).get('/api/security/public-key').expect(403)).text).toBe('refused');
    expect((await request(h.app).post('/api/data').send({}).expect(400)).text).toBe('refused');
    expect(codes).toEqual(['csrf_invalid', 'encryption_required']);
    expect(h.served()).toBe(0);
    expect(() => keyExchange({ handler: () => undefined } as KeyExchangeOptions)).toThrow(/onRefused/);
    expect(() => keyExchange({ onRefused: 'json' } as unknown as KeyExchangeOptions)).toThrow(/onRefused/);
  });

  it('onRefused can hand a refusal on with next(error)', async () => {
    const h = bareApp({ onRefused: (error, _req, _res, next) => next(error) });
    h.app.use(
      (
        error: { code: string },
        _req: express.Request,
        res: express.Response,
        _next: express.NextFunction,
      ) => {
        res.status(499).json({ mine: error.code });
      },
    );
    expect((await request(h.app).post('/api/data').send({}).expect(499)).body).toEqual({
      mine: 'encryption_required',
    });
  });
});
