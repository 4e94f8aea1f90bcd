import express from 'express';
import request from 'supertest';
import { cspReporter } from '@shieldwall/csp-reporter';
import { securityHeaders, type SecurityHeadersOptions } from '../src/index.js';

function appWith(options?: SecurityHeadersOptions, trustProxy = false): express.Express {
  const app = express();
  if (trustProxy) app.set('trust proxy', 'loopback');
  app.use(securityHeaders(options));
  app.get('/', (_req, res) => {
    res.json({ nonce: (res.locals as { cspNonce?: string }).cspNonce ?? null });
  });
  return app;
}

describe('securityHeaders: presets', () => {
  it('recommended (default): X-XSS-Protection 0, DENY + frame-ancestors none, nonce CSP, no HSTS over http', async () => {
    const res = await request(appWith()).get('/').expect(200);
    expect(res.headers['x-xss-protection']).toBe('0');
    expect(res.headers['x-frame-options']).toBe('DENY');
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['referrer-policy']).toBe('strict-origin-when-cross-origin');
    expect(res.headers['strict-transport-security']).toBeUndefined();
    expect(res.headers['x-powered-by']).toBeUndefined();
    expect(res.headers['cross-origin-opener-policy']).toBe('same-origin');
    expect(res.headers['permissions-policy']).toBe('camera=(), microphone=(), geolocation=()');
    const csp = res.headers['content-security-policy'] as string;
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toContain("object-src 'none'");
    expect(csp).toContain(`script-src 'self' 'nonce-${(res.body as { nonce: string }).nonce}'`);
  });

  it('platform (000): exactly its four headers, with X-XSS-Protection 1; mode=block', async () => {
    const res = await request(appWith({ preset: 'platform' }))
      .get('/')
      .expect(200);
    expect(res.headers['x-xss-protection']).toBe('1; mode=block');
    expect(res.headers['x-frame-options']).toBe('DENY');
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['referrer-policy']).toBe('strict-origin-when-cross-origin');
    // Exactly: every header name this response has that the same app without the middleware lacks.
    const bare = express();
    bare.get('/', (_req, res) => {
      res.json({ nonce: null });
    });
    const plain = await request(bare).get('/').expect(200);
    const added = Object.keys(res.headers).filter((name) => !(name in plain.headers));
    expect(added.sort()).toEqual([
      'referrer-policy',
      'x-content-type-options',
      'x-frame-options',
      'x-xss-protection',
    ]);
    expect(res.body).toEqual({ nonce: null });
  });

  it('api (002): HSTS preload on HTTPS, SAMEORIGIN, CSP with the versioned report-uri', async () => {
    const reporter = cspReporter({ version: 5 });
    const app = appWith({ preset: 'api', reporting: reporter.reporting }, true);
    const res = await request(app).get('/').set('X-Forwarded-Proto', 'https').expect(200);
    expect(res.headers['strict-transport-security']).toBe('max-age=31536000; includeSubDomains; preload');
    expect(res.headers['x-frame-options']).toBe('SAMEORIGIN');
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['content-security-policy']).toMatch(
      /^default-src 'self'; frame-ancestors 'self'; script-src 'self' 'nonce-[A-Za-z0-9+/]{22}=='; report-uri \/api\/csp-report-endpoint\?version=5$/,
    );
  });

  it('api without reporting fails at start-up', () => {
    expect(() => securityHeaders({ preset: 'api' })).toThrow(/reporting/);
  });

  it('SAMEORIGIN is one word and keeps frame-ancestors consistent', async () => {
    const res = await request(appWith({ frameOptions: 'SAMEORIGIN' }))
      .get('/')
      .expect(200);
    expect(res.headers['x-frame-options']).toBe('SAMEORIGIN');
    expect(res.headers['content-security-policy']).toContain("frame-ancestors 'self'");
    expect(() =>
      securityHeaders({ frameOptions: 'DENY', csp: { directives: { frameAncestors: ["'self'"] } } }),
    ).toThrow(/frameAncestors/);
  });
});

describe('securityHeaders: HSTS', () => {
  it('is sent only on secure requests, with the proxy trusted', async () => {
    const trusted = appWith({}, true);
    await request(trusted)
      .get('/')
      .set('X-Forwarded-Proto', 'https')
      .expect('Strict-Transport-Security', 'max-age=31536000; includeSubDomains');
    const plain = await request(trusted).get('/');
    expect(plain.headers['strict-transport-security']).toBeUndefined();
    const untrusted = await request(appWith()).get('/').set('X-Forwarded-Proto', 'https');
    expect(untrusted.headers['strict-transport-security']).toBeUndefined();
  });

  it.each([
    [{ preload: true, maxAge: 10886400 }],
    [{ preload: true, includeSubDomains: false }],
    [{ maxAge: -1 }],
  ])('refuses %j at start-up', (hsts) => {
    expect(() => securityHeaders({ hsts })).toThrow(/@shieldwall\/headers: option `hsts/);
  });
});

describe('securityHeaders: CSP builder', () => {
  it('gives a fresh 128-bit nonce per request in res.locals and the header', async () => {
    const app = appWith({ csp: { nonceStyles: true } });
    const a = await request(app).get('/');
    const b = await request(app).get('/');
    const nonceA = (a.body as { nonce: string }).nonce;
    expect(Buffer.from(nonceA, 'base64')).toHaveLength(16);
    expect(nonceA).not.toBe((b.body as { nonce: string }).nonce);
    expect(a.headers['content-security-policy']).toContain(
      `style-src 'self' https: 'unsafe-inline' 'nonce-${nonceA}'`,
    );
  });

  it('creates script-src from default-src when only default-src is given, and adds the nonce to script-src-elem', async () => {
    const app = appWith({
      preset: 'platform',
      csp: { directives: { defaultSrc: ["'self'", 'https://cdn.example.com'], scriptSrcElem: ["'self'"] } },
    });
    const res = await request(app).get('/');
    const nonce = (res.body as { nonce: string }).nonce;
    expect(res.headers['content-security-policy']).toBe(
      `default-src 'self' https://cdn.example.com; script-src-elem 'self' 'nonce-${nonce}'; frame-ancestors 'none'; script-src 'self' https://cdn.example.com 'nonce-${nonce}'`,
    );
  });

  it('without nonces the policy is static and res.locals has no nonce', async () => {
    const res = await request(appWith({ csp: { nonce: false } })).get('/');
    expect(res.body).toEqual({ nonce: null });
    expect(res.headers['content-security-policy']).not.toContain('nonce');
  });

  it('sends a report-only policy beside the enforced one, with the same nonce, and report-to with Reporting-Endpoints', async () => {
    const reporter = cspReporter({ version: 3, publicOrigin: 'https://app.example.com' });
    const app = appWith({
      reporting: reporter.reporting,
      cspReportOnly: {
        useDefaults: false,
        directives: { defaultSrc: ["'none'"], scriptSrc: ["'strict-dynamic'"] },
      },
    });
    const res = await request(app).get('/');
    const nonce = (res.body as { nonce: string }).nonce;
    expect(res.headers['reporting-endpoints']).toBe(
      'csp-endpoint="https://app.example.com/api/csp-report-endpoint?version=3"',
    );
    expect(res.headers['content-security-policy']).toMatch(
      /; report-uri \/api\/csp-report-endpoint\?version=3; report-to csp-endpoint$/,
    );
    expect(res.headers['content-security-policy-report-only']).toBe(
      `default-src 'none'; script-src 'strict-dynamic' 'nonce-${nonce}'; report-uri /api/csp-report-endpoint?version=3; report-to csp-endpoint`,
    );
  });

  it('without an origin it sends report-uri only (report-to needs Reporting-Endpoints)', async () => {
    const res = await request(appWith({ reporting: cspReporter({ version: 2 }).reporting })).get('/');
    expect(res.headers['reporting-endpoints']).toBeUndefined();
    expect(res.headers['content-security-policy']).toMatch(
      /report-uri \/api\/csp-report-endpoint\?version=2$/,
    );
  });

  it.each([
    ['an unquoted keyword', { scriptSrc: ['self'] }, /keywords are quoted/],
    ['an unquoted none', { objectSrc: ['none'] }, /keywords are quoted/],
    ['a semicolon injection', { scriptSrc: ["'self'; script-src *"] }, /not a CSP keyword/],
    ['a host with a semicolon', { scriptSrc: ['https://a.example;script-src *'] }, /without ";"/],
    ['a comma', { imgSrc: ['https://a.example,https://b.example'] }, /without ";"/],
    ['a newline', { imgSrc: ['https://a.example\r\nSet-Cookie: x=1'] }, /without ";"/],
    ['a static nonce', { scriptSrc: ["'nonce-abc'"] }, /fresh per request/],
    ['an unknown quoted keyword', { scriptSrc: ["'unsafe-everything'"] }, /not a CSP keyword/],
    ['none with others', { scriptSrc: ["'none'", "'self'"] }, /only source/],
    ['an empty list', { imgSrc: [] }, /non-empty/],
    ['a misspelt directive', { scriptSource: ["'self'"] }, /did you mean `scriptSrc`\?/],
    ['an unknown directive', { whatever: ["'self'"] }, /use one of/],
    ['report-uri in directives', { reportUri: ['/x'] }, /reporting/],
    ['a bad sandbox flag', { sandbox: ['allow-scripts; x'] }, /allow-scripts/],
  ])('refuses %s at start-up', (_name, directives, message) => {
    expect(() => securityHeaders({ csp: { directives: directives as never } })).toThrow(message);
  });

  it('accepts hashes, schemes, wildcards and paths', () => {
    expect(() =>
      securityHeaders({
        csp: {
          directives: {
            scriptSrc: ["'sha256-abc+/=='", 'https:', '*.example.com', 'https://cdn.example.com:443/lib/'],
            imgSrc: ['*', 'data:', 'blob:'],
            sandbox: ['allow-scripts'],
            upgradeInsecureRequests: true,
          },
        },
      }),
    ).not.toThrow();
  });
});

describe('securityHeaders: other options', () => {
  it('builds Permissions-Policy and validates it', async () => {
    const res = await request(
      appWith({
        permissionsPolicy: {
          camera: [],
          geolocation: ['self', 'https://maps.example.com'],
          fullscreen: ['*'],
        },
      }),
    ).get('/');
    expect(res.headers['permissions-policy']).toBe(
      'camera=(), geolocation=(self "https://maps.example.com"), fullscreen=*',
    );
    expect(() => securityHeaders({ permissionsPolicy: { camera: ['evil"), x=('] } })).toThrow(
      /permissionsPolicy/,
    );
  });

  it('turns single headers off with false and validates values', async () => {
    const res = await request(
      appWith({ xssProtection: false, referrerPolicy: false, csp: false, frameOptions: false }),
    ).get('/');
    expect(res.headers['x-xss-protection']).toBeUndefined();
    expect(res.headers['referrer-policy']).toBeUndefined();
    expect(res.headers['content-security-policy']).toBeUndefined();
    expect(res.headers['x-frame-options']).toBeUndefined();
    expect(() => securityHeaders({ frameOptions: 'ALLOW-FROM x' as never })).toThrow(/frameOptions/);
    expect(() => securityHeaders({ xssProtection: '1' as never })).toThrow(/xssProtection/);
    expect(() => securityHeaders({ referrerPolicy: 'sometimes' })).toThrow(/referrerPolicy/);
    expect(() => securityHeaders({ preset: 'strict' as never })).toThrow(/preset/);
  });

  it('sends Cross-Origin-Resource-Policy: same-origin with recommended, even without extras, and on request elsewhere', async () => {
    const recommended = await request(appWith({ extras: false })).get('/');
    expect(recommended.headers['cross-origin-resource-policy']).toBe('same-origin');
    const platform = await request(appWith({ preset: 'platform' })).get('/');
    expect(platform.headers['cross-origin-resource-policy']).toBeUndefined();
    const asked = await request(appWith({ preset: 'platform', crossOriginResourcePolicy: 'same-site' })).get(
      '/',
    );
    expect(asked.headers['cross-origin-resource-policy']).toBe('same-site');
    // extras no longer carry helmet's own CORP, which would overwrite the option's value
    const both = await request(appWith({ extras: true, crossOriginResourcePolicy: 'cross-origin' })).get('/');
    expect(both.headers['cross-origin-resource-policy']).toBe('cross-origin');
    const off = await request(appWith({ crossOriginResourcePolicy: false })).get('/');
    expect(off.headers['cross-origin-resource-policy']).toBeUndefined();
    expect(off.headers['cross-origin-opener-policy']).toBe('same-origin');
    expect(() => securityHeaders({ crossOriginResourcePolicy: 'same-host' as never })).toThrow(
      '@shieldwall/headers: option `crossOriginResourcePolicy` is "same-host"; pass one of "same-origin", "same-site", "cross-origin".',
    );
  });

  it("expresses default-src 'none' with each directive opened, the nonce going to script-src alone", async () => {
    const app = appWith({
      preset: 'platform',
      csp: { useDefaults: false, directives: { defaultSrc: ["'none'"], imgSrc: ["'self'"] } },
    });
    const res = await request(app).get('/');
    const nonce = (res.body as { nonce: string }).nonce;
    expect(res.headers['content-security-policy']).toBe(
      `default-src 'none'; img-src 'self'; frame-ancestors 'none'; script-src 'nonce-${nonce}'`,
    );
  });

  it('catches app.use(securityHeaders) and does not mutate options', () => {
    expect(() => securityHeaders({ socket: {}, method: 'GET' } as never)).toThrow(/call it first/);
    const options = Object.freeze({
      csp: Object.freeze({ directives: Object.freeze({ imgSrc: Object.freeze(["'self'"]) }) }),
    });
    securityHeaders(options);
    expect(options).toEqual({ csp: { directives: { imgSrc: ["'self'"] } } });
  });

  it('sets headers on error responses too', async () => {
    const app = express();
    app.use(securityHeaders({ preset: 'platform' }));
    app.get('/boom', () => {
      throw new Error('x');
    });
    const res = await request(app).get('/boom').expect(500);
    expect(res.headers['x-frame-options']).toBe('DENY');
  });
});
