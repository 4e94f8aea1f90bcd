import type { Response } from 'supertest';
import {
  expectNothingChanged,
  expectRefused,
  freshIp,
  modes,
  password,
  startTarget,
  stateChangesSince,
  type Target,
} from './harness.js';

// Threats: "Network attacker", "Cross-site attacker", "XSS attacker", "Report flooder", "Page flooder" and the
// request guard's share of every other (docs/threat-model.md): bodies, types, origins, hosts and headers.

const securityHeaders = (headers: Record<string, string | undefined>) => {
  expect(headers['x-powered-by']).toBeUndefined();
  expect(headers['x-content-type-options']).toBe('nosniff');
  expect(headers['content-security-policy']).toBeDefined();
};

describe.each(modes)('attacks on the request path (%s)', (mode) => {
  let a: Target;
  beforeAll(async () => {
    a = await startTarget(mode);
    await a.account('web@example.com');
  });
  afterAll(() => a.close());

  const refusedWithHeaders = async (
    send: () => Promise<Response>,
    status: number,
    code: string,
    allowed?: RegExp,
  ) => {
    const before = await a.snapshot();
    const res = await send();
    expectRefused(res, status, code);
    securityHeaders(res.headers);
    expect(res.headers['set-cookie']).toBeUndefined();
    await expectNothingChanged(a, before, allowed);
    return res;
  };

  it('oversized body: 20 KB at sign-in (16 KB cap)', async () => {
    await refusedWithHeaders(
      () =>
        a
          .call('post', '/api/auth/login', freshIp())
          .set('Content-Type', 'application/json')
          .send(JSON.stringify({ email: 'web@example.com', password: 'x'.repeat(20 * 1024) })),
      413,
      'payload_too_large',
    );
  });

  it('oversized body: 2 MB anywhere under /api', async () => {
    await refusedWithHeaders(
      () =>
        a
          .call('post', '/api/referrals', freshIp())
          .set('Content-Type', 'application/json')
          .send(JSON.stringify({ pad: 'x'.repeat(2 * 1024 * 1024) })),
      413,
      'payload_too_large',
    );
  });

  it('content-type confusion: text/plain JSON at sign-in', async () => {
    await refusedWithHeaders(
      () =>
        a
          .call('post', '/api/auth/login', freshIp())
          .set('Content-Type', 'text/plain')
          .send(JSON.stringify({ email: 'web@example.com', password })),
      415,
      'unsupported_media_type',
    );
  });

  it('cross-site form post: urlencoded sign-in from a foreign Origin (no preflight)', async () => {
    await refusedWithHeaders(
      () =>
        a
          .call('post', '/api/auth/login', freshIp())
          .set('Content-Type', 'application/x-www-form-urlencoded')
          .set('Origin', 'https://evil.example')
          .send(`email=web%40example.com&password=${encodeURIComponent(password)}`),
      415,
      'unsupported_media_type',
    );
  });

  it('cross-site form post without Origin: urlencoded is still refused by type', async () => {
    await refusedWithHeaders(
      () =>
        a
          .call('post', '/api/auth/login', freshIp())
          .set('Content-Type', 'application/x-www-form-urlencoded')
          .send(`email=web%40example.com&password=${encodeURIComponent(password)}`),
      415,
      'unsupported_media_type',
    );
  });

  it('malformed JSON that would be echoed', async () => {
    const res = await refusedWithHeaders(
      () =>
        a
          .call('post', '/api/auth/login', freshIp())
          .set('Content-Type', 'application/json')
          .send('{"email":"<script>marker-7f</script>",'),
      400,
      'invalid_json',
    );
    expect(res.text).not.toContain('marker-7f');
  });

  it('deeply nested JSON at sign-in', async () => {
    await refusedWithHeaders(
      () =>
        a
          .call('post', '/api/auth/login', freshIp())
          .set('Content-Type', 'application/json')
          .send(`${'['.repeat(5000)}${']'.repeat(5000)}`),
      400,
      'invalid_request',
    );
  });

  it('prototype pollution: __proto__ beside the fields of a registration', async () => {
    a.captcha('register');
    await refusedWithHeaders(
      () =>
        a
          .call('post', '/api/auth/register', freshIp())
          .set('X-Captcha-Token', 'proto')
          .set('Content-Type', 'application/json')
          .send(
            '{"email":"proto@example.com","password":"a long enough password","__proto__":{"admin":true}}',
          ),
      400,
      'invalid_request',
      // The attacker's own CAPTCHA token is spent (single use), and nothing else.
      /^setIfAbsent captcha-gate:token:/,
    );
    expect(({} as Record<string, unknown>).admin).toBeUndefined();
  });

  it('CORS: a preflight from a foreign origin', async () => {
    await refusedWithHeaders(
      () =>
        a
          .call('options' as 'get', '/api/auth/me', freshIp())
          .set('Origin', 'https://evil.example')
          .set('Access-Control-Request-Method', 'GET'),
      403,
      'cors_origin_denied',
    );
  });

  it('CORS: a credentialed read from a foreign origin gets no CORS headers, so no browser shows it the body', async () => {
    const cookies = await a.signIn('web@example.com');
    const before = await a.snapshot();
    const res = await a
      .call('get', '/api/auth/me', freshIp())
      .set('Origin', 'https://evil.example')
      .set('Cookie', `${a.cookie.access}=${cookies[a.cookie.access]!}`);
    // Not a refusal (error-codes.md: only preflights are refused); the browser withholds the body without these.
    expect(res.headers['access-control-allow-origin']).toBeUndefined();
    expect(res.headers['access-control-allow-credentials']).toBeUndefined();
    expect(res.headers['cache-control']).toBe('no-store');
    await expectNothingChanged(a, before);
  });

  it('cookie tossing: the access token under the other mode cookie name is not read', async () => {
    const cookies = await a.signIn('web@example.com');
    const other = a.production ? 'at' : '__Host-at';
    await refusedWithHeaders(
      () => a.call('get', '/api/auth/me', freshIp()).set('Cookie', `${other}=${cookies[a.cookie.access]!}`),
      401,
      'unauthenticated',
    );
  });

  it('host header: a forged Host never reaches a link or a redirect', async () => {
    const res = await a.t.request
      .get('/signin')
      .set('Host', 'evil.example')
      .set('X-Forwarded-For', freshIp())
      .set('X-Forwarded-Proto', 'http');
    if (a.production) {
      expect(res.status).toBe(301);
      expect(res.headers.location).toBe(`${a.origin}/signin`);
    } else {
      expect(res.status).toBe(200);
    }
    expect(`${res.text}${res.headers.location ?? ''}`).not.toContain('evil.example');
  });

  it('clickjacking: the sign-in page cannot be framed', async () => {
    const res = await a.call('get', '/signin', freshIp()).expect(200);
    expect(res.headers['x-frame-options']).toBe('DENY');
    expect(res.headers['content-security-policy']).toContain("frame-ancestors 'none'");
    expect(res.headers['cache-control']).toContain('no-store');
  });

  it('unknown route probing: 404 in the envelope, with the headers, nothing stored', async () => {
    await refusedWithHeaders(() => a.call('get', '/api/admin/users', freshIp()), 404, 'not_found');
  });

  it('page flooder: cookieless page loads store nothing, and the 61st in a minute is refused', async () => {
    const ip = freshIp();
    const before = await a.snapshot();
    for (let i = 0; i < 60; i += 1) expect((await a.call('get', '/', ip)).status).toBe(200);
    expectRefused(await a.call('get', '/', ip), 429, 'rate_limited');
    await expectNothingChanged(a, before);
  });

  it('report flooder: 200 CSP reports take no single-use claim and end in 429', async () => {
    const ip = freshIp();
    const before = await a.snapshot();
    const statuses = new Set<number>();
    for (let i = 0; i < 200; i += 1) {
      const res = await a
        .call('post', '/api/csp-report-endpoint?version=1', ip)
        .set('Content-Type', 'application/csp-report')
        .send(
          JSON.stringify({
            'csp-report': {
              'document-uri': `${a.origin}/`,
              'blocked-uri': `https://flood-${i}.example/x.js`,
              'effective-directive': 'script-src-elem',
              'violated-directive': 'script-src-elem',
              'original-policy': "default-src 'none'",
              disposition: 'enforce',
            },
          }),
        );
      statuses.add(res.status);
    }
    expect([...statuses].sort()).toEqual([204, 429]);
    expect(stateChangesSince(a, before).filter((change) => change.startsWith('setIfAbsent'))).toEqual([]);
    // Sign-in (which claims nothing) and its refresh rotation (which does) still work.
    const cookies = await a.signIn('web@example.com');
    expect(
      (
        await a
          .call('post', '/api/auth/refresh', freshIp())
          .set('Cookie', `${a.cookie.refresh}=${cookies[a.cookie.refresh]!}`)
      ).status,
    ).toBe(204);
  });

  it('report flooder: reports of an older policy version are dropped (204, nothing kept)', async () => {
    const before = await a.snapshot();
    const res = await a
      .call('post', '/api/csp-report-endpoint?version=0', freshIp())
      .set('Content-Type', 'application/csp-report')
      .send(JSON.stringify({ 'csp-report': { 'document-uri': `${a.origin}/`, 'blocked-uri': 'inline' } }));
    expect(res.status).toBe(204);
    await expectNothingChanged(a, before);
  });
});
