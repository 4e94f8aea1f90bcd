import express from 'express';
import request from 'supertest';
import { memoryStore, type Logger } from '@shieldwall/core';
import {
  captchaGate,
  codeChallengeProvider,
  mfaDevices,
  recaptchaV3,
  requireParticipation,
  verificationCodes,
  type CaptchaGateOptions,
  type CodeMessage,
} from '../src/index.js';

// Bare apps, as a Node team starts: no errorHandler() mounted.
function recorder() {
  const logged: string[] = [];
  const logger: Logger = {
    debug: (message) => logged.push(`debug ${message}`),
    info: (message) => logged.push(`info ${message}`),
    warn: (message) => logged.push(`warn ${message}`),
    error: (message) => logged.push(`error ${message}`),
  };
  return { logged, logger };
}

function gateApp(options: Partial<CaptchaGateOptions> = {}) {
  const store = memoryStore();
  const sent: CodeMessage[] = [];
  const { logged, logger } = recorder();
  const codes = verificationCodes({
    store,
    hashKey: Buffer.alloc(32, 7),
    send: async (m) => void sent.push(m),
  });
  const gate = captchaGate({
    // Never called: every request here comes without a token.
    verifier: recaptchaV3({ secret: 'test-secret', url: 'http://127.0.0.1:9/verify' }),
    challenges: codeChallengeProvider(codes, () => ({ channel: 'email', to: 'a@example.com' })),
    store,
    hostnames: ['app.example.com'],
    stepUp: 'score',
    logger,
    ...options,
  });
  const app = express();
  let served = 0;
  app.post('/register', express.json(), gate.require('register'), (_req, res) => {
    served++;
    res.json({ ok: true });
  });
  return { app, logged, sent, served: () => served, close: () => store.close() };
}

describe('captcha-gate refusals answer by themselves', () => {
  it('captcha_failed: the JSON envelope, nothing served or sent, logged only at debug', async () => {
    const h = gateApp();
    try {
      const res = await request(h.app).post('/register').send({ email: 'a@example.com' }).expect(403);
      expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
      expect(res.body).toEqual({ error: { code: 'captcha_failed', message: expect.any(String) } });
      expect(h.served()).toBe(0);
      expect(h.sent).toEqual([]);
      expect(h.logged.filter((line) => !line.startsWith('debug '))).toEqual([]);
    } finally {
      await h.close();
    }
  });

  it('onRefused takes over; handler is suggested for it', async () => {
    const codes: string[] = [];
    const h = gateApp({
      onRefused: (error, _req, res) => {
        codes.push(error.code);
        res.status(error.status).type('text/plain').send('refused');
      },
    });
    try {
      expect((await request(h.app).post('/register').send({}).expect(403)).text).toBe('refused');
      expect(codes).toEqual(['captcha_failed']);
      expect(h.served()).toBe(0);
      expect(() => gateApp({ handler: () => undefined } as Partial<CaptchaGateOptions>)).toThrow(/onRefused/);
    } finally {
      await h.close();
    }
  });

  it('requireParticipation answers 403 itself, or through onRefused', async () => {
    const app = express();
    const codes: string[] = [];
    app.get('/plain', requireParticipation({ figure: () => 1, threshold: 10 }), (_req, res) => res.json({}));
    app.get(
      '/custom',
      requireParticipation({
        figure: () => 1,
        threshold: 10,
        onRefused: (error, _req, res) => {
          codes.push(error.code);
          res.status(451).end();
        },
      }),
      (_req, res) => res.json({}),
    );
    const res = await request(app).get('/plain').expect(403);
    expect(res.body.error).toMatchObject({ code: 'participation_threshold_not_met', threshold: 10 });
    await request(app).get('/custom').expect(451);
    expect(codes).toEqual(['participation_threshold_not_met']);
  });

  it('requireBoundDevice answers 403 itself, writing nothing for a request without a proof', async () => {
    const store = memoryStore();
    const devices = mfaDevices({ store, issuer: 'Shieldwall' });
    const app = express();
    app.get(
      '/wallet',
      devices.requireBoundDevice(() => ({
        userId: 'u1',
        device: { secret: 'JBSWY3DPEHPK3PXP', deviceId: 'device-0001' },
      })),
      (_req, res) => res.json({}),
    );
    try {
      const res = await request(app).get('/wallet').expect(403);
      expect(res.body.error.code).toBe('mfa_device_required');
      expect(await store.get('captcha-gate:mfa:fail:u1')).toBeUndefined();
    } finally {
      await store.close();
    }
  });
});
