import express from 'express';
import request from 'supertest';
import {
  errorHandler,
  manualClock,
  memoryStore,
  type ManualClock,
  type Logger,
  type Store,
} from '@shieldwall/core';
import {
  captchaGate,
  codeChallengeProvider,
  recaptchaV3,
  verificationCodes,
  type CaptchaGateOptions,
  type CodeMessage,
  type CaptchaVerifier,
} from '../src/index.js';

export interface LogLine {
  level: string;
  message: string;
  fields?: Record<string, unknown>;
}

export interface GateApp {
  request: ReturnType<typeof request>;
  clock: ManualClock;
  store: Store & { close(): Promise<void> };
  sent: CodeMessage[];
  logs: LogLine[];
  /** Requests that reached the protected handler, per action. */
  reached: Record<string, number>;
  close(): Promise<void>;
}

/** An app with the gate on POST /register and POST /sms (action sms_otp), recipients from the body. */
export function gateApp(
  providerUrl: string,
  overrides: Partial<CaptchaGateOptions> & { verifier?: CaptchaVerifier } = {},
): GateApp {
  const clock = manualClock(Date.UTC(2026, 0, 1, 12));
  const store = memoryStore({ clock });
  const sent: CodeMessage[] = [];
  const logs: LogLine[] = [];
  const logger: Logger = {
    info: (message, fields) => logs.push({ level: 'info', message, fields }),
    warn: (message, fields) => logs.push({ level: 'warn', message, fields }),
    error: (message, fields) => logs.push({ level: 'error', message, fields }),
  };
  const codes = verificationCodes({
    store,
    clock,
    hashKey: Buffer.alloc(32, 7),
    send: async (message) => {
      sent.push(message);
    },
  });
  const challenges = codeChallengeProvider(codes, (req, action) => {
    const body = (req as { body?: Record<string, unknown> }).body ?? {};
    if (action === 'sms_otp')
      return typeof body.phone === 'string' ? { channel: 'sms', to: body.phone } : undefined;
    return typeof body.email === 'string' ? { channel: 'email', to: body.email } : undefined;
  });
  const gate = captchaGate({
    verifier: recaptchaV3({ secret: 'test-secret', url: providerUrl }),
    challenges,
    store,
    hostnames: ['app.example.com'],
    logger,
    clock,
    timeoutMs: 500,
    ...overrides,
  });
  const reached: Record<string, number> = {};
  const app = express();
  app.set('trust proxy', false);
  app.use(express.json());
  const handler =
    (name: string): express.RequestHandler =>
    (_req, res) => {
      reached[name] = (reached[name] ?? 0) + 1;
      res.status(201).json({ ok: true, via: res.locals.captcha });
    };
  app.post('/register', gate.require('register'), handler('register'));
  app.post('/sms', gate.require('sms_otp'), handler('sms_otp'));
  app.post('/lenient', gate.require('lenient', { threshold: 0.3 }), handler('lenient'));
  app.use(errorHandler());
  return {
    request: request(app),
    clock,
    store,
    sent,
    logs,
    reached,
    close: () => store.close(),
  };
}
