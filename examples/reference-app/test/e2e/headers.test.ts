import { randomBytes } from 'node:crypto';
import { startTestApp, type TestApp } from '../helpers/reference-app.js';

const key = (): string => `k1:${randomBytes(32).toString('base64')}`;
const production = {
  NODE_ENV: 'production',
  PUBLIC_ORIGIN: 'https://app.example.com',
  JWT_SECRETS: key(),
  WALLET_KEKS: key(),
  CAPTCHA_PROVIDER: 'turnstile',
  CAPTCHA_SECRET: 'test-secret',
  CAPTCHA_SITE_KEY: 'test-site-key',
  TRUST_PROXY: 'loopback',
  CSP_VERSION: '9',
  // Nothing listens there: mail stays in the outbox, which these tests do not read.
  SMTP_URL: 'smtp://127.0.0.1:1',
  MAIL_FROM: 'Shieldwall <no-reply@example.test>',
  SMS_ROUTES: 'off',
};

function expectPlatformHeaders(headers: Record<string, string | undefined>, frame = 'DENY'): void {
  expect(headers['x-content-type-options']).toBe('nosniff');
  expect(headers['x-frame-options']).toBe(frame);
  expect(headers['x-xss-protection']).toBe('1; mode=block');
  expect(headers['referrer-policy']).toBe('strict-origin-when-cross-origin');
  expect(headers['x-powered-by']).toBeUndefined();
  expect(headers['cross-origin-resource-policy']).toBe('same-origin');
  const csp = headers['content-security-policy'] ?? '';
  expect(csp).toContain("default-src 'none'");
  expect(csp).toContain("connect-src 'self'");
  expect(csp).toContain(`frame-ancestors ${frame === 'DENY' ? "'none'" : "'self'"}`);
  expect(csp).toMatch(/script-src 'self' 'report-sample' (?:https:\/\/\S+ )*'nonce-[A-Za-z0-9+/]{22}=='/);
}

describe('reference app: security headers on every response', () => {
  let t: TestApp;
  afterEach(async () => {
    await t.close();
  });

  it('on the page: the platform preset, a CSP whose nonce is the page script nonce, and versioned reporting', async () => {
    t = await startTestApp({ CSP_VERSION: '7' });
    const res = await t.request.get('/').expect(200);
    expectPlatformHeaders(res.headers);
    const csp = res.headers['content-security-policy'] as string;
    const nonce = /'nonce-([^']+)'/.exec(csp)![1]!;
    expect(res.text).toContain(`<script nonce="${nonce}" src="/assets/home.`);
    expect(csp).toMatch(/; report-uri \/api\/csp-report-endpoint\?version=7; report-to csp-endpoint$/);
    expect(res.headers['reporting-endpoints']).toBe(
      'csp-endpoint="http://localhost:3000/api/csp-report-endpoint?version=7"',
    );
    // HTTP in development: no HSTS.
    expect(res.headers['strict-transport-security']).toBeUndefined();

    const again = await t.request.get('/').expect(200);
    expect(/'nonce-([^']+)'/.exec(again.headers['content-security-policy'] as string)![1]).not.toBe(nonce);
  });

  it('on API errors and on 404s', async () => {
    t = await startTestApp();
    const apiError = await t.request.get('/api/csp-report-endpoint').expect(405);
    expect(apiError.body.error.code).toBe('method_not_allowed');
    expectPlatformHeaders(apiError.headers);
    const missing = await t.request.get('/api/nothing-here').expect(404);
    expect(missing.body.error.code).toBe('not_found');
    expectPlatformHeaders(missing.headers);
  });

  it('on the request guard refusals (413, 415, 400 invalid_json) and the CORS 403, without X-Powered-By', async () => {
    t = await startTestApp();
    const tooBig = await t.request
      .post('/api/auth/login')
      .set('Content-Type', 'application/json')
      .send(JSON.stringify({ email: 'a@example.com', password: 'x'.repeat(20 * 1024) }))
      .expect(413);
    expect(tooBig.body.error.code).toBe('payload_too_large');
    expectPlatformHeaders(tooBig.headers);
    const wrongType = await t.request
      .post('/api/auth/login')
      .set('Content-Type', 'text/plain')
      .send('hello')
      .expect(415);
    expect(wrongType.body.error.code).toBe('unsupported_media_type');
    expectPlatformHeaders(wrongType.headers);
    const malformed = await t.request
      .post('/api/auth/login')
      .set('Content-Type', 'application/json')
      .send('{"email":')
      .expect(400);
    expect(malformed.body.error.code).toBe('invalid_json');
    expectPlatformHeaders(malformed.headers);
    const cors = await t.request
      .options('/api/auth/login')
      .set('Origin', 'https://evil.example')
      .set('Access-Control-Request-Method', 'POST')
      .expect(403);
    expect(cors.body.error.code).toBe('cors_origin_denied');
    expectPlatformHeaders(cors.headers);
  });

  it('X_FRAME_OPTIONS=SAMEORIGIN is one setting for both the header and frame-ancestors', async () => {
    t = await startTestApp({ X_FRAME_OPTIONS: 'SAMEORIGIN' });
    const res = await t.request.get('/').expect(200);
    expectPlatformHeaders(res.headers, 'SAMEORIGIN');
  });

  it('in production behind a trusted proxy: HSTS with preload over HTTPS only', async () => {
    t = await startTestApp(production);
    const secure = await t.request.get('/healthz').set('X-Forwarded-Proto', 'https').expect(200);
    expect(secure.headers['strict-transport-security']).toBe('max-age=31536000; includeSubDomains; preload');
    expectPlatformHeaders(secure.headers);
    expect(secure.headers['reporting-endpoints']).toBe(
      'csp-endpoint="https://app.example.com/api/csp-report-endpoint?version=9"',
    );
    const notFound = await t.request.get('/nope').set('X-Forwarded-Proto', 'https').expect(404);
    expect(notFound.headers['strict-transport-security']).toBe(
      'max-age=31536000; includeSubDomains; preload',
    );

    const plain = await t.request.get('/healthz');
    expect(plain.headers['strict-transport-security']).toBeUndefined();
    // The HTTPS redirect is a response too.
    const redirect = await t.request.get('/account').set('X-Forwarded-Proto', 'http').expect(301);
    expect(redirect.headers['x-content-type-options']).toBe('nosniff');
    expect(redirect.headers['x-powered-by']).toBeUndefined();
  });
});
