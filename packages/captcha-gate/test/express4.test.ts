import type express from 'express';
import request from 'supertest';
import { errorHandler, manualClock, memoryStore } from '@shieldwall/core';
import {
  captchaGate,
  codeChallengeProvider,
  recaptchaV3,
  verificationCodes,
  type CodeMessage,
} from '../src/index.js';
import { fakeProvider, recaptchaSuccess } from './fake-provider.js';

describe('captcha-gate on Express 4', () => {
  it('passes a high score, steps a low one up, and accepts the code, with the envelope', async () => {
    const provider = await fakeProvider();
    const clock = manualClock();
    const store = memoryStore({ clock });
    const sent: CodeMessage[] = [];
    const codes = verificationCodes({ store, clock, send: async (m) => void sent.push(m) });
    const gate = captchaGate({
      verifier: recaptchaV3({ secret: 's', url: provider.url }),
      challenges: codeChallengeProvider(codes, () => ({ channel: 'email', to: 'ann@example.com' })),
      store,
      hostnames: ['app.example.com'],
      clock,
    });
    // express4 is the `express@4` alias package; typed as Express 5, close enough for this test.
    const specifier: string = 'express4';
    const { default: express4 } = (await import(specifier)) as { default: typeof express };
    const app = express4();
    app.post('/register', gate.require('register'), (_req, res) => {
      res.status(201).json({ ok: true });
    });
    app.use(errorHandler());
    try {
      provider.reply = () => ({
        json: recaptchaSuccess({ score: 0.9, action: 'register', at: clock.now() }),
      });
      await request(app).post('/register').set('X-Captcha-Token', 'a').expect(201);
      provider.reply = () => ({
        json: recaptchaSuccess({ score: 0.1, action: 'register', at: clock.now() }),
      });
      const low = await request(app).post('/register').set('X-Captcha-Token', 'b').expect(403);
      expect(low.body.error.code).toBe('verification_required');
      await request(app)
        .post('/register')
        .set('X-Verification-Id', low.body.error.challenge.id)
        .set('X-Verification-Code', sent[0]!.code)
        .expect(201);
    } finally {
      await store.close();
      await provider.close();
    }
  });
});
