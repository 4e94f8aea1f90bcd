import { randomBytes } from 'node:crypto';
import { ConfigProblems, loadConfig } from '@shieldwall/reference-app';
import { startTestApp, type TestApp } from '../helpers/reference-app.js';

const key = () => randomBytes(32).toString('base64');
const productionEnv = {
  NODE_ENV: 'production',
  PUBLIC_ORIGIN: 'https://app.example.com',
  JWT_SECRETS: `j1:${key()}`,
  WALLET_KEKS: `w1:${key()}`,
  CAPTCHA_PROVIDER: 'turnstile',
  CAPTCHA_SECRET: 'turnstile-secret',
  CAPTCHA_SITE_KEY: 'test-site-key',
  TRUST_PROXY: 'loopback',
  // Nothing listens there: mail stays in the outbox, which these tests do not read.
  SMTP_URL: 'smtp://127.0.0.1:1',
  MAIL_FROM: 'Shieldwall <no-reply@example.test>',
  SMS_ROUTES: 'off',
};

function expectRefusal(
  res: { status: number; body: unknown; text: string },
  status: number,
  code: string,
): void {
  expect(res.status).toBe(status);
  expect(res.body).toEqual({ error: { code, message: expect.any(String) } });
}

describe('reference app: request bodies', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp();
  });
  afterAll(() => app.close());

  // The guard runs before routing: these hold for every /api route, whether or not it exists yet.
  it('answers malformed JSON with 400 invalid_json and echoes nothing', async () => {
    const res = await app.request
      .post('/api/auth/login')
      .set('Content-Type', 'application/json')
      .send('{"email":"marker-91ab@example.com",');
    expectRefusal(res, 400, 'invalid_json');
    expect(res.text).not.toContain('marker-91ab');
    expect(res.headers['set-cookie']).toBeUndefined();
    expect(await app.services.users.findByEmail('marker-91ab@example.com')).toBeFalsy();
  });

  it('answers a body over 1 MB with 413 payload_too_large', async () => {
    const res = await app.request
      .post('/api/auth/register')
      .set('Content-Type', 'application/json')
      .send(JSON.stringify({ email: 'big@example.com', password: 'x'.repeat(1024 * 1024) }));
    expectRefusal(res, 413, 'payload_too_large');
    expect(res.headers['set-cookie']).toBeUndefined();
    expect(await app.services.users.findByEmail('big@example.com')).toBeUndefined();
  });

  it('caps sign-in and code routes at 16 KB', async () => {
    const res = await app.request
      .post('/api/auth/login')
      .send({ email: 'cap@example.com', password: 'x'.repeat(17 * 1024) });
    expectRefusal(res, 413, 'payload_too_large');
    const otp = await app.request.post('/api/otp/sms').send({ phone: 'x'.repeat(17 * 1024) });
    expectRefusal(otp, 413, 'payload_too_large');
  });

  it.each([
    ['/api/auth/login', 'text/plain'],
    ['/api/auth/login', 'application/x-www-form-urlencoded'],
    ['/api/auth/login', 'application/jose'],
    ['/api/csp-report-endpoint?version=1', 'text/plain'],
    ['/api/wallets', 'text/plain'],
  ])('answers POST %s with Content-Type %s with 415 unsupported_media_type', async (path, type) => {
    const res = await app.request.post(path).set('Content-Type', type).send('email=a%40b.c&password=x');
    expectRefusal(res, 415, 'unsupported_media_type');
    expect(res.headers['set-cookie']).toBeUndefined();
  });

  it.each(['put', 'patch'] as const)('checks %s as well', async (method) => {
    const res = await app.request[method]('/api/anything').set('Content-Type', 'text/plain').send('x');
    expectRefusal(res, 415, 'unsupported_media_type');
  });

  it('lets a body-less POST through to routing (logout and refresh have no body)', async () => {
    const res = await app.request.post('/api/no-such-route');
    expectRefusal(res, 404, 'not_found');
  });

  it('caps the CSP report endpoint at 64 KB before reading the body', async () => {
    const res = await app.request
      .post('/api/csp-report-endpoint?version=1')
      .set('Content-Type', 'application/csp-report')
      .send('x'.repeat(65 * 1024));
    expectRefusal(res, 413, 'payload_too_large');
  });
});

describe('reference app: CORS', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp({
      PUBLIC_ORIGIN: 'https://app.example.com',
      CORS_ORIGINS: 'https://admin.example.com',
    });
  });
  afterAll(() => app.close());

  it.each(['https://app.example.com', 'https://admin.example.com'])(
    'allows the configured origin %s with credentials',
    async (origin) => {
      const res = await app.request.get('/healthz').set('Origin', origin);
      expect(res.headers['access-control-allow-origin']).toBe(origin);
      expect(res.headers['access-control-allow-credentials']).toBe('true');
      expect(res.headers.vary).toMatch(/\bOrigin\b/);
    },
  );

  it.each(['https://evil.example', 'https://app.example.com.evil.example', 'null'])(
    'sends no CORS headers to %s',
    async (origin) => {
      const res = await app.request.get('/healthz').set('Origin', origin);
      expect(res.headers['access-control-allow-origin']).toBeUndefined();
      expect(res.headers['access-control-allow-credentials']).toBeUndefined();
      expect(res.headers.vary).toMatch(/\bOrigin\b/);
    },
  );

  it('answers an allowed preflight with 204, the methods, the headers and a max age', async () => {
    const res = await app.request
      .options('/api/auth/login')
      .set('Origin', 'https://admin.example.com')
      .set('Access-Control-Request-Method', 'POST')
      .set('Access-Control-Request-Headers', 'content-type, x-csrf-token');
    expect(res.status).toBe(204);
    expect(res.headers['access-control-allow-origin']).toBe('https://admin.example.com');
    expect(res.headers['access-control-allow-methods']).toContain('POST');
    expect(res.headers['access-control-allow-headers']).toContain('X-CSRF-Token');
    expect(res.headers['access-control-allow-headers']).toContain('Content-Type');
    expect(Number(res.headers['access-control-max-age'])).toBeGreaterThan(0);
  });

  it.each(['https://evil.example', 'null'])(
    'refuses a preflight from %s with 403 cors_origin_denied',
    async (origin) => {
      const res = await app.request
        .options('/api/auth/login')
        .set('Origin', origin)
        .set('Access-Control-Request-Method', 'POST');
      expectRefusal(res, 403, 'cors_origin_denied');
      expect(res.headers['access-control-allow-origin']).toBeUndefined();
      expect(res.text).not.toContain('evil');
    },
  );
});

describe('reference app: HTTPS in production', () => {
  describe('behind a trusted proxy (TRUST_PROXY=loopback)', () => {
    let app: TestApp;
    beforeAll(async () => {
      app = await startTestApp({ ...productionEnv, TRUST_PROXY: 'loopback' });
    });
    afterAll(() => app.close());

    it('redirects plain-HTTP GET with 301 to the public origin, never to the Host sent', async () => {
      const res = await app.request
        .get('/some/page?x=1')
        .set('Host', 'evil.example')
        .set('X-Forwarded-Proto', 'http');
      expect(res.status).toBe(301);
      expect(res.headers.location).toBe('https://app.example.com/some/page?x=1');
    });

    it('redirects plain-HTTP POST with 308', async () => {
      const res = await app.request.post('/api/auth/login').set('X-Forwarded-Proto', 'http').send({});
      expect(res.status).toBe(308);
      expect(res.headers.location).toBe('https://app.example.com/api/auth/login');
    });

    it('serves requests the proxy says arrived over HTTPS', async () => {
      const res = await app.request.get('/healthz').set('X-Forwarded-Proto', 'https');
      expect(res.status).not.toBe(301);
      expect(res.headers.location).toBeUndefined();
      const missing = await app.request.get('/no-such-page').set('X-Forwarded-Proto', 'https');
      expectRefusal(missing, 404, 'not_found');
    });
  });

  it.each([['cloudflare'], ['10.0.0.1']])(
    'ignores X-Forwarded-Proto from an untrusted peer (TRUST_PROXY=%s)',
    async (trustProxy) => {
      const app = await startTestApp({ ...productionEnv, TRUST_PROXY: trustProxy });
      try {
        const res = await app.request.get('/some/page').set('X-Forwarded-Proto', 'https');
        expect(res.status).toBe(301);
        expect(res.headers.location).toBe('https://app.example.com/some/page');
      } finally {
        await app.close();
      }
    },
  );

  it('does not redirect outside production', async () => {
    const app = await startTestApp();
    try {
      const res = await app.request.get('/no-such-page');
      expectRefusal(res, 404, 'not_found');
    } finally {
      await app.close();
    }
  });
});

describe('reference app: client IP, as the rate limiter sees it', () => {
  // The general /api budget is kept per client IP: a header that changes the IP would get a fresh budget.
  async function remainingAfter(app: TestApp, headers: Array<Record<string, string>>): Promise<number[]> {
    const remaining: number[] = [];
    for (const set of headers) {
      const res = await app.request.get('/api/no-such-route').set(set);
      remaining.push(Number(res.headers['x-ratelimit-remaining']));
    }
    return remaining;
  }

  it.each([
    [
      'cloudflare',
      { 'CF-Connecting-IP': '203.0.113.1', 'CF-IPCountry': 'DE' },
      { 'CF-Connecting-IP': '203.0.113.2' },
    ],
    ['false', { 'X-Forwarded-For': '203.0.113.1' }, { 'X-Forwarded-For': '203.0.113.2' }],
    ['10.0.0.1', { 'X-Forwarded-For': '203.0.113.1' }, { 'X-Forwarded-For': '203.0.113.2' }],
  ])(
    'TRUST_PROXY=%s: forged headers from a loopback peer share one budget',
    async (trustProxy, first, second) => {
      const app = await startTestApp({ TRUST_PROXY: trustProxy });
      try {
        const [a, b] = await remainingAfter(app, [first, second]);
        expect(Number.isInteger(a)).toBe(true);
        expect(b).toBe(a! - 1);
      } finally {
        await app.close();
      }
    },
  );

  it('TRUST_PROXY=loopback: the proxy-reported client gets its own budget', async () => {
    const app = await startTestApp({ TRUST_PROXY: 'loopback' });
    try {
      const [a, b] = await remainingAfter(app, [
        { 'X-Forwarded-For': '203.0.113.1' },
        { 'X-Forwarded-For': '203.0.113.2' },
      ]);
      expect(Number.isInteger(a)).toBe(true);
      expect(b).toBe(a);
    } finally {
      await app.close();
    }
  });
});

describe('reference app: configuration in production', () => {
  it('refuses to start without its secrets and names each one', () => {
    let thrown: unknown;
    try {
      loadConfig({ NODE_ENV: 'production' }, { persistDevSecrets: false });
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(ConfigProblems);
    const problems = (thrown as ConfigProblems).problems.join('\n');
    for (const name of ['PUBLIC_ORIGIN', 'JWT_SECRETS', 'WALLET_KEKS', 'CAPTCHA_PROVIDER', 'TRUST_PROXY']) {
      expect(problems).toContain(name);
    }
  });

  it.each([[undefined], [''], ['false']])(
    'refuses to start without a trusted proxy (TRUST_PROXY=%s), instead of redirecting forever',
    (trustProxy) => {
      const env: Record<string, string | undefined> = { ...productionEnv, TRUST_PROXY: trustProxy };
      let thrown: unknown;
      try {
        loadConfig(env, { persistDevSecrets: false });
      } catch (error) {
        thrown = error;
      }
      expect(thrown).toBeInstanceOf(ConfigProblems);
      const problems = (thrown as ConfigProblems).problems;
      expect(problems).toHaveLength(1);
      expect(problems[0]).toMatch(/^TRUST_PROXY is required in production: .*redirected to HTTPS forever/);
    },
  );

  it('refuses a plain-HTTP public origin and an unknown TRUST_PROXY', () => {
    expect(() =>
      loadConfig({ ...productionEnv, PUBLIC_ORIGIN: 'http://app.example.com' }, { persistDevSecrets: false }),
    ).toThrow(/PUBLIC_ORIGIN must be https/);
    expect(() =>
      loadConfig({ ...productionEnv, TRUST_PROXY: 'everyone' }, { persistDevSecrets: false }),
    ).toThrow(/TRUST_PROXY/);
  });

  it('refuses a CAPTCHA provider without its site key: the sign-up and reset pages could not render the widget', () => {
    expect(() =>
      loadConfig({ ...productionEnv, CAPTCHA_SITE_KEY: undefined }, { persistDevSecrets: false }),
    ).toThrow(/CAPTCHA_SITE_KEY is required in production/);
    expect(() =>
      loadConfig(
        { ...productionEnv, NODE_ENV: 'development', CAPTCHA_SITE_KEY: undefined },
        { persistDevSecrets: false },
      ),
    ).not.toThrow();
  });

  it('starts with every secret given', () => {
    expect(loadConfig(productionEnv, { persistDevSecrets: false }).production).toBe(true);
  });
});
