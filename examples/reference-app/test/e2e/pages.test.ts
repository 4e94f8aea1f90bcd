import { createHash } from 'node:crypto';
import { startTestApp, type TestApp } from '../helpers/reference-app.js';
import request from 'supertest';
import { fastHashing, goodPassword, recordingStore, signUp } from './auth-helpers.js';

// The server-rendered pages (SPEC.md): a CSRF token and a fresh nonce on each render, the app's scripts and
// stylesheet under content-hash names with Subresource Integrity, and a CSP from default-src 'none'.

const pages = ['/', '/signup', '/signin', '/verify-email', '/reset-password', '/account'];

const cspOf = (headers: Record<string, string>): Map<string, string[]> =>
  new Map(
    headers['content-security-policy']!.split(';').map((part) => {
      const [name, ...sources] = part.trim().split(/\s+/);
      return [name!, sources];
    }),
  );

describe('reference app: pages', () => {
  let t: TestApp;
  let store: ReturnType<typeof recordingStore>;
  beforeAll(async () => {
    store = recordingStore();
    t = await startTestApp(fastHashing, { store });
  });
  afterAll(() => t.close());

  it.each(pages)(
    '%s renders with its CSRF token, nonce, and SRI on every script and stylesheet',
    async (path) => {
      const res = await t.request.get(path).expect(200);
      expect(res.headers['content-type']).toMatch(/^text\/html/);
      expect(res.headers['cache-control']).toBe('no-store');
      expect(res.text).toMatch(/<meta name="csrf-token" content="[^"]+">/);
      const nonce = /'nonce-([^']+)'/.exec(res.headers['content-security-policy'] as string)![1]!;
      const scripts = [...res.text.matchAll(/<script([^>]*)>/g)].map((m) => m[1]!);
      expect(scripts.length).toBeGreaterThan(0);
      for (const attributes of scripts) {
        expect(attributes).toContain(`nonce="${nonce}"`);
        expect(attributes).toMatch(/integrity="sha384-/);
      }
      // No inline script or style anywhere: style-src stays 'self', script-src needs no 'unsafe-inline'.
      expect(res.text).not.toMatch(/<script[^>]*>[^<]/);
      expect(res.text).not.toMatch(/<style|style="/);
      const links = [
        ...res.text.matchAll(/<(?:script|link)[^>]*(?:src|href)="(\/assets\/[^"]+)" integrity="([^"]+)"/g),
      ];
      expect(links.length).toBe(2);
      for (const [, asset, integrity] of links) {
        const body = await t.request.get(asset!).buffer(true).expect(200);
        expect(body.headers['cache-control']).toBe('public, max-age=31536000, immutable');
        const bytes = Buffer.isBuffer(body.body) ? body.body : Buffer.from(body.text);
        expect(integrity).toBe(`sha384-${createHash('sha384').update(bytes).digest('base64')}`);
      }
    },
  );

  it('sends a CSP from default-src none, with only what the pages use, and nothing for a CAPTCHA when none is set', async () => {
    const res = await t.request.get('/signup').expect(200);
    const csp = cspOf(res.headers);
    expect(csp.get('default-src')).toEqual(["'none'"]);
    expect(csp.get('script-src')).toEqual(["'self'", "'report-sample'", expect.stringMatching(/^'nonce-/)]);
    expect(csp.get('style-src')).toEqual(["'self'"]);
    expect(csp.get('connect-src')).toEqual(["'self'"]);
    expect(csp.get('frame-ancestors')).toEqual(["'none'"]);
    expect(csp.get('base-uri')).toEqual(["'none'"]);
    expect(csp.has('frame-src')).toBe(false);
    expect(res.text).not.toContain('id="captcha"');
  });

  it('asks the provider only for its documented sources when a CAPTCHA is configured', async () => {
    const expected: Record<string, { script: string[]; frame: string[]; widget: RegExp }> = {
      recaptcha: {
        script: ['https://www.google.com/recaptcha/', 'https://www.gstatic.com/recaptcha/'],
        frame: ['https://www.google.com/recaptcha/', 'https://recaptcha.google.com/recaptcha/'],
        widget: /src="https:\/\/www\.google\.com\/recaptcha\/api\.js\?render=site-key"/,
      },
      hcaptcha: {
        script: ['https://hcaptcha.com', 'https://*.hcaptcha.com'],
        frame: ['https://hcaptcha.com', 'https://*.hcaptcha.com'],
        widget: /src="https:\/\/js\.hcaptcha\.com\/1\/api\.js"/,
      },
      turnstile: {
        script: ['https://challenges.cloudflare.com'],
        frame: ['https://challenges.cloudflare.com'],
        widget: /src="https:\/\/challenges\.cloudflare\.com\/turnstile\/v0\/api\.js"/,
      },
    };
    for (const [provider, sources] of Object.entries(expected)) {
      const app = await startTestApp({
        ...fastHashing,
        CAPTCHA_PROVIDER: provider,
        CAPTCHA_SECRET: 's',
        CAPTCHA_SITE_KEY: 'site-key',
      });
      try {
        const res = await app.request.get('/signup').expect(200);
        const csp = cspOf(res.headers);
        expect(csp.get('default-src')).toEqual(["'none'"]);
        expect(csp.get('script-src')!.slice(2, -1)).toEqual(sources.script);
        expect(csp.get('frame-src')).toEqual(sources.frame);
        expect(res.text).toMatch(sources.widget);
        expect(res.text).toContain(`data-provider="${provider}"`);
      } finally {
        await app.close();
      }
    }
  });

  it('offers one sign-in button per configured OAuth provider, and none without', async () => {
    const links = (text: string) =>
      [...text.matchAll(/href="(\/api\/auth\/oauth\/[a-z]+)"/g)].map((m) => m[1]);
    expect(links((await t.request.get('/signin').expect(200)).text)).toEqual([]);
    const app = await startTestApp({
      ...fastHashing,
      OAUTH_GITHUB_CLIENT_ID: 'github-client',
      OAUTH_GITHUB_CLIENT_SECRET: 'github-secret',
      OAUTH_YANDEX_CLIENT_ID: 'yandex-client',
      OAUTH_YANDEX_CLIENT_SECRET: 'yandex-secret',
    });
    try {
      const page = await app.request.get('/signin').expect(200);
      expect(links(page.text)).toEqual(['/api/auth/oauth/github', '/api/auth/oauth/yandex']);
      expect(page.text).toContain('>GitHub</a>');
    } finally {
      await app.close();
    }
  });

  it('prefills a referral code from ?ref=, escaped, and ignores one that is not a code', async () => {
    const good = await t.request.get('/signup?ref=ABCDEFGH12').expect(200);
    expect(good.text).toContain('value="ABCDEFGH12"');
    const bad = await t.request.get('/signup?ref=%22%3E%3Cscript%3Ex').expect(200);
    expect(bad.text).not.toContain('<script>x');
    expect(bad.text).not.toMatch(/name="referralCode"[^>]*value=/);
  });

  it('stores nothing per anonymous page load', async () => {
    const before = store.changedKeys(/./).length;
    for (const path of pages) await t.request.get(path).expect(200);
    expect(store.changedKeys(/./).length).toBe(before);
  });

  it('answers 404 in the envelope for an asset name it did not build', async () => {
    const res = await t.request.get('/assets/app.0000000000000000.css').expect(404);
    expect(res.body.error.code).toBe('not_found');
  });

  it('signs out everywhere from the account page: every session of the user ends, the cookies are cleared', async () => {
    await signUp(t, 'everywhere@example.com');
    const here = request.agent(t.app);
    const there = request.agent(t.app);
    for (const agent of [here, there])
      await agent
        .post('/api/auth/login')
        .send({ email: 'everywhere@example.com', password: goodPassword })
        .expect(200);
    const me = await here.get('/api/auth/me').expect(200);
    expect(me.body.user).toMatchObject({ email: 'everywhere@example.com', mfaEnabled: false });

    const out = await here.post('/api/auth/logout-all').expect(204);
    expect(String(out.headers['set-cookie'])).toMatch(/Expires=Thu, 01 Jan 1970/);
    expect((await there.get('/api/auth/me').expect(401)).body.error.code).toBe('session_revoked');
    await there.post('/api/auth/refresh').expect(401);
  });

  it('refuses sign out everywhere without a session, and changes nothing', async () => {
    const before = store.changedKeys(/^jwt:/).length;
    const res = await t.request.post('/api/auth/logout-all').expect(401);
    expect(res.body.error.code).toBe('unauthenticated');
    expect(store.changedKeys(/^jwt:/).length).toBe(before);
  });
});
