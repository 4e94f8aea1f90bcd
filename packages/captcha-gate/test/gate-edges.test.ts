import { createHash } from 'node:crypto';
import express from 'express';
import request from 'supertest';
import { manualClock, memoryStore, type Logger } from '@shieldwall/core';
import {
  captchaGate,
  codeChallengeProvider,
  verificationCodes,
  type CaptchaGateOptions,
  type CaptchaResult,
  type CaptchaVerifier,
  type CodeMessage,
  type VerifyContext,
} from '../src/index.js';

// The gate's edges, with a scripted verifier standing in for the provider's answer (the provider calls themselves
// are tested against a loopback provider in gate.test.ts and verifiers.test.ts): every boundary of the judgement,
// where the token is read from and what the route then sees, the replay record, what is logged, the exact
// refusals, and every start-up check with the option it names.

const pkg = '@shieldwall/captcha-gate';
const start = Date.UTC(2026, 0, 1, 12);

interface Scripted extends CaptchaVerifier {
  calls: Array<{ token: string; context: VerifyContext }>;
  /** The next results' fields over a valid, fresh, high-scoring token for the expected action. */
  answer: Partial<CaptchaResult>;
}

function scripted(clock: { now(): number }, reportsAction = true): Scripted {
  const verifier: Scripted = {
    provider: 'scripted',
    reportsAction,
    tokenLifetimeMs: 120_000,
    calls: [],
    answer: {},
    verify(token, context) {
      verifier.calls.push({ token, context });
      return Promise.resolve({
        provider: 'scripted',
        valid: true,
        score: 0.9,
        action: context.expectedAction,
        hostname: 'app.example.com',
        challengeTime: clock.now() - 1000,
        reasons: [],
        ...verifier.answer,
      });
    },
  };
  return verifier;
}

interface LogLine {
  level: string;
  message: string;
  fields?: Record<string, unknown>;
}

function setup(
  overrides: Partial<CaptchaGateOptions> = {},
  { parseJson = true }: { parseJson?: boolean | 'loose' } = {},
) {
  const clock = manualClock(start);
  const store = memoryStore({ clock });
  const verifier = scripted(clock);
  const sent: CodeMessage[] = [];
  const logs: LogLine[] = [];
  const logAt =
    (level: string) =>
    (message: string, fields?: Record<string, unknown>): void => {
      logs.push({ level, message, ...(fields ? { fields } : {}) });
    };
  const logger: Logger = {
    debug: logAt('debug'),
    info: logAt('info'),
    warn: logAt('warn'),
    error: logAt('error'),
  };
  const codes = verificationCodes({
    store,
    clock,
    hashKey: Buffer.alloc(32, 3),
    send: (message) => {
      sent.push(message);
      return Promise.resolve();
    },
  });
  const challenges = codeChallengeProvider(codes, () => ({ channel: 'email', to: 'ann@example.com' }));
  const gate = captchaGate({
    verifier,
    challenges,
    store,
    hostnames: ['App.Example.com'],
    logger,
    clock,
    ...overrides,
  });
  const seen: unknown[] = [];
  const app = express();
  app.set('trust proxy', true);
  // 'loose' is express.json({ strict: false }), which parses a body of `null` to null.
  if (parseJson) app.use(express.json({ strict: parseJson !== 'loose' }));
  const route: express.RequestHandler = (req, res) => {
    seen.push(req.body);
    res.status(201).json({ via: res.locals.captcha as unknown });
  };
  app.post('/register', gate.require('register'), route);
  // A limiter sharing the gate's provider checks (and consumes) the code before the gate runs.
  app.post(
    '/limited',
    (req, _res, next) => {
      const id = req.get('x-verification-id');
      const code = req.get('x-verification-code');
      if (!id || !code) {
        next();
        return;
      }
      gate.challengeProvider
        .check({ action: 'limited', subject: `ip:${req.ip}`, req }, { id, answer: code })
        .then(() => next(), next);
    },
    gate.require('limited'),
    route,
  );
  return {
    clock,
    store,
    verifier,
    sent,
    logs,
    seen,
    gate,
    request: request(app),
    close: () => store.close(),
  };
}

type Setup = ReturnType<typeof setup>;
let t: Setup;
afterEach(async () => {
  await t?.close();
});

const reasonOf = (s: Setup) =>
  s.logs.filter((l) => l.message === 'captcha-gate: verification code required').at(-1)?.fields?.reason;

async function expectStepUp(s: Setup, res: request.Response, reason: string, reachedBefore = 0) {
  expect(res.status).toBe(403);
  expect(res.body).toEqual({
    error: {
      code: 'verification_required',
      message: 'Enter the verification code we sent to continue.',
      challenge: { id: expect.any(String), channel: 'email', expiresAt: expect.any(Number) },
    },
  });
  expect(reasonOf(s)).toBe(reason);
  expect(s.seen).toHaveLength(reachedBefore);
}

const post = (s: Setup, token: string, body: Record<string, unknown> = {}) =>
  s.request.post('/register').set('x-captcha-token', token).send(body);

describe('captchaGate: the judgement at its boundaries', () => {
  it('passes a token exactly as old as the maximum age, and steps up one a millisecond older', async () => {
    t = setup();
    t.verifier.answer = { challengeTime: start - 120_000 };
    expect((await post(t, 'old-enough')).status).toBe(201);
    t.verifier.answer = { challengeTime: start - 120_001 };
    await expectStepUp(t, await post(t, 'too-old'), 'token_too_old', 1);
  });

  it('passes a token up to a minute from the future (clock skew), and steps up one beyond', async () => {
    t = setup();
    t.verifier.answer = { challengeTime: start + 60_000 };
    expect((await post(t, 'skewed')).status).toBe(201);
    t.verifier.answer = { challengeTime: start + 60_001 };
    await expectStepUp(t, await post(t, 'future'), 'token_from_future', 1);
  });

  it('steps up a token whose solving time is unknown, or whose hostname is missing', async () => {
    t = setup();
    t.verifier.answer = { challengeTime: undefined };
    await expectStepUp(t, await post(t, 'when'), 'token_age_unknown');
    t.verifier.answer = { hostname: undefined };
    await expectStepUp(t, await post(t, 'where'), 'hostname_not_allowed');
  });

  it('compares hostnames without case, and takes any hostname only when told to', async () => {
    t = setup();
    t.verifier.answer = { hostname: 'APP.example.COM' };
    expect((await post(t, 'case')).status).toBe(201);
    await t.close();
    t = setup({ hostnames: 'any' });
    t.verifier.answer = { hostname: 'elsewhere.example.net' };
    expect((await post(t, 'anywhere')).status).toBe(201);
  });

  it('passes a valid token without a score, unless requireScore, which steps it up as score_missing', async () => {
    t = setup();
    t.verifier.answer = { score: undefined };
    const res = await post(t, 'no-score');
    expect(res.status).toBe(201);
    expect(res.body.via).toEqual({ passed: 'score', provider: 'scripted' });
    await t.close();
    t = setup({ requireScore: true });
    t.verifier.answer = { score: undefined };
    await expectStepUp(t, await post(t, 'no-score'), 'score_missing');
  });

  it('takes a per-action threshold from thresholds, and the route option over both', async () => {
    t = setup({ thresholds: { register: 0.95 } });
    t.verifier.answer = { score: 0.9 };
    await expectStepUp(t, await post(t, 'a'), 'score_below_threshold');
    t.verifier.answer = { score: 0.95 };
    expect((await post(t, 'b')).status).toBe(201);
  });
});

describe('captchaGate: the token and the request', () => {
  it('takes a token of 8,192 characters to the provider, and refuses a longer one without asking', async () => {
    t = setup();
    expect((await post(t, 'a'.repeat(8192))).status).toBe(201);
    expect(t.verifier.calls).toHaveLength(1);
    await expectStepUp(t, await post(t, 'b'.repeat(8193)), 'token_malformed', 1);
    expect(t.verifier.calls).toHaveLength(1);
  });

  it('hands the provider the client IP and User-Agent, and the route a body without the token fields', async () => {
    t = setup();
    const res = await t.request
      .post('/register')
      .set('x-forwarded-for', '203.0.113.9')
      .set('user-agent', 'probe/1')
      .send({
        email: 'ann@example.com',
        captchaToken: 'tok',
        'g-recaptcha-response': 'x',
        'h-captcha-response': 'y',
        'cf-turnstile-response': 'z',
      });
    expect(res.status).toBe(201);
    expect(t.verifier.calls[0]!.token).toBe('tok');
    expect(t.verifier.calls[0]!.context).toMatchObject({
      expectedAction: 'register',
      remoteIp: '203.0.113.9',
      userAgent: 'probe/1',
    });
    expect(t.seen).toEqual([{ email: 'ann@example.com' }]);
  });

  it('reads each provider field of the body, and steps up a request without a parsed body', async () => {
    t = setup();
    for (const field of ['g-recaptcha-response', 'h-captcha-response', 'cf-turnstile-response']) {
      await t.request
        .post('/register')
        .send({ [field]: `via-${field}` })
        .expect(201);
    }
    expect(t.verifier.calls.map((c) => c.token)).toEqual([
      'via-g-recaptcha-response',
      'via-h-captcha-response',
      'via-cf-turnstile-response',
    ]);
    await t.close();
    t = setup({}, { parseJson: false });
    await expectStepUp(t, await t.request.post('/register').send('plain'), 'token_missing');
    await expectStepUp(t, await t.request.post('/register'), 'token_missing');
  });

  it('takes a parsed body of null as no body: the header token passes, and without one it steps up', async () => {
    t = setup({}, { parseJson: 'loose' });
    const nullBody = () => t.request.post('/register').set('content-type', 'application/json');
    expect((await nullBody().set('x-captcha-token', 'tok').send('null')).status).toBe(201);
    expect(t.verifier.calls.map((c) => c.token)).toEqual(['tok']);
    expect(t.seen).toEqual([null]);
    await expectStepUp(t, await nullBody().send('null'), 'token_missing', 1);
  });

  it('keeps a hash of each token, prefixed, for the token age plus a minute: a replay is refused until then', async () => {
    t = setup();
    await post(t, 'once').expect(201);
    const hash = createHash('sha256').update('once').digest('base64url');
    expect(await t.store.get(`captcha-gate:token:${hash}`)).toBe('1');
    t.clock.advance(120_000 + 60_000 - 1);
    await expectStepUp(t, await post(t, 'once'), 'token_replayed', 1);
    expect(t.verifier.calls).toHaveLength(1);
    t.clock.advance(1);
    expect((await post(t, 'once')).status).toBe(201);
    expect(t.verifier.calls).toHaveLength(2);
  });

  it('binds a code to the client IP it was sent for', async () => {
    t = setup();
    t.verifier.answer = { score: 0.1 };
    const first = await post(t, 'low').set('x-forwarded-for', '203.0.113.1');
    const id = (first.body as { error: { challenge: { id: string } } }).error.challenge.id;
    const code = t.sent[0]!.code;
    const elsewhere = await t.request
      .post('/register')
      .set('x-forwarded-for', '203.0.113.2')
      .set('x-verification-id', id)
      .set('x-verification-code', code)
      .send({});
    expect(elsewhere.status).toBe(403);
    expect(elsewhere.body.error.code).toBe('verification_failed');
    const here = await t.request
      .post('/register')
      .set('x-forwarded-for', '203.0.113.1')
      .set('x-verification-id', id)
      .set('x-verification-code', code)
      .send({});
    expect(here.status).toBe(201);
  });

  it('lets through a request whose code a limiter sharing its provider already checked', async () => {
    t = setup();
    t.verifier.answer = { score: 0.1 };
    const first = await t.request.post('/limited').set('x-captcha-token', 'low').send({});
    expect(first.status).toBe(403);
    const id = (first.body as { error: { challenge: { id: string } } }).error.challenge.id;
    const res = await t.request
      .post('/limited')
      .set('x-verification-id', id)
      .set('x-verification-code', t.sent[0]!.code)
      .send({});
    expect(res.status).toBe(201);
    expect(res.body.via).toEqual({ passed: 'verification_code', action: 'limited' });
    expect(t.verifier.calls).toHaveLength(1);
  });
});

describe('captchaGate: what it logs and answers', () => {
  it('logs the step-up with the score and at most five provider reasons, never the token', async () => {
    t = setup();
    t.verifier.answer = { score: 0.2, reasons: ['r1', 'r2', 'r3', 'r4', 'r5', 'r6', 'r7'] };
    await post(t, 'secret-token');
    expect(t.logs.at(-1)).toEqual({
      level: 'info',
      message: 'captcha-gate: verification code required',
      fields: {
        action: 'register',
        reason: 'score_below_threshold',
        provider: 'scripted',
        score: 0.2,
        providerReasons: ['r1', 'r2', 'r3', 'r4', 'r5'],
      },
    });
    expect(JSON.stringify(t.logs)).not.toContain('secret-token');
  });

  it("refuses with captcha_failed under stepUp: 'score', logged at debug only", async () => {
    t = setup({ stepUp: 'score' });
    t.verifier.answer = { valid: false };
    const res = await post(t, 'bad');
    expect(res.status).toBe(403);
    expect(res.body).toEqual({
      error: { code: 'captcha_failed', message: 'The CAPTCHA was not solved; solve it and try again.' },
    });
    expect(t.logs).toEqual([
      {
        level: 'debug',
        message: 'captcha-gate: refused',
        fields: { action: 'register', reason: 'token_invalid', provider: 'scripted' },
      },
    ]);
    expect(t.sent).toHaveLength(0);
  });

  it("logs a provider outage with its policy, 'challenge' by default", async () => {
    t = setup();
    const { CaptchaUnavailableError } = await import('../src/verifiers/http.js');
    t.verifier.verify = () => Promise.reject(new CaptchaUnavailableError('timeout'));
    await expectStepUp(t, await post(t, 'down'), 'provider_unavailable');
    expect(t.logs.find((l) => l.level === 'warn')).toEqual({
      level: 'warn',
      message: 'captcha-gate: provider unavailable',
      fields: { action: 'register', provider: 'scripted', reason: 'timeout', policy: 'challenge' },
    });
  });
});

describe('captchaGate: start-up checks name the option', () => {
  const clock = manualClock(start);
  const store = memoryStore({ clock });
  afterAll(() => store.close());
  const codes = verificationCodes({ store, send: () => Promise.resolve() });
  const challenges = codeChallengeProvider(codes, () => undefined);
  const valid = (): CaptchaGateOptions => ({
    verifier: scripted(clock),
    challenges,
    store,
    hostnames: ['app.example.com'],
  });
  const refuses = (options: unknown, ...parts: string[]) => {
    let thrown: unknown;
    try {
      captchaGate(options as CaptchaGateOptions);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toMatchObject({ name: 'ShieldwallConfigError', code: 'invalid_option' });
    for (const part of parts) expect((thrown as Error).message).toContain(part);
  };

  it('suggests the right name for names from other libraries', () => {
    refuses(
      { ...valid(), secret: 'x' },
      `${pkg}: captchaGate() has no option \`secret\`; did you mean \`verifier\`?`,
    );
    refuses({ ...valid(), score: 0.5 }, 'did you mean `threshold`?');
    refuses({ ...valid(), handler: () => undefined }, 'did you mean `onRefused`?');
  });

  it('refuses a missing or unusable verifier, challenges and store', () => {
    const verifierFix = 'pass recaptchaV3(), recaptchaEnterprise(), hcaptcha() or turnstile().';
    refuses(undefined, 'option `verifier` is undefined', verifierFix);
    refuses({ ...valid(), verifier: undefined }, 'option `verifier` is undefined', verifierFix);
    refuses({ ...valid(), verifier: {} }, 'option `verifier` is {}', verifierFix);
    const challengesFix = 'pass codeChallengeProvider(verificationCodes(...), recipient).';
    refuses({ ...valid(), challenges: undefined }, 'option `challenges`', challengesFix);
    refuses({ ...valid(), challenges: { ...challenges, check: undefined } }, 'option `challenges`');
    refuses({ ...valid(), challenges: { ...challenges, issue: undefined } }, 'option `challenges`');
    const storeFix = 'pass a Store (memoryStore() or redisStore()).';
    refuses({ ...valid(), store: undefined }, 'option `store` is undefined', storeFix);
    refuses({ ...valid(), store: null }, 'option `store` is null', storeFix);
  });

  it('refuses hostnames that are not a list of names', () => {
    const fix = "pass your site's hostnames, or 'any' to opt out of the check.";
    refuses({ ...valid(), hostnames: undefined }, 'option `hostnames` is undefined', fix);
    refuses({ ...valid(), hostnames: ['app.example.com', ''] }, 'option `hostnames`');
    refuses({ ...valid(), hostnames: ['app.example.com', 7] }, 'option `hostnames`');
    refuses({ ...valid(), hostnames: 'app.example.com' }, 'option `hostnames`');
  });

  it('refuses numbers and policies out of range, naming each', () => {
    refuses({ ...valid(), thresholds: { login: 2 } }, 'option `thresholds.login` is 2');
    refuses({ ...valid(), maxTokenAgeMs: 0 }, 'option `maxTokenAgeMs` is 0');
    refuses({ ...valid(), timeoutMs: 1.5 }, 'option `timeoutMs` is 1.5');
    refuses(
      { ...valid(), onProviderDown: 'skip' },
      'option `onProviderDown`',
      'pass one of "challenge", "block", "allow".',
    );
    refuses({ ...valid(), stepUp: 'all' }, 'option `stepUp`', 'pass one of "score", "any".');
    expect(() => captchaGate({ ...valid(), onProviderDown: 'challenge', stepUp: 'any' })).not.toThrow();
  });

  it('refuses actions outside reCAPTCHA’s rules and route thresholds out of range', () => {
    const gate = captchaGate(valid());
    for (const action of ['bad action', 'ok!', '!ok', '', 'a'.repeat(101), 7]) {
      expect(() => gate.require(action as string)).toThrow('option `action`');
    }
    expect(() => gate.require('bad action')).toThrow(
      'pass letters, digits, _ or / (reCAPTCHA action rules).',
    );
    expect(() => gate.require('a'.repeat(100))).not.toThrow();
    expect(() => gate.require('login/step_2')).not.toThrow();
    expect(() => gate.require('login', { threshold: 2 })).toThrow('option `threshold` is 2');
  });
});
