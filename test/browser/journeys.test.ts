import { createHmac, randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { RequestListener } from 'node:http';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { describeWithChromium, launchChromium, listen, type RunningServer } from '@shieldwall/test-utils';
import { startTestApp, type TestApp } from '../../examples/reference-app/test/helpers/reference-app.js';
import {
  fastHashing,
  goodPassword,
  mailTo,
  tokenFromMail,
} from '../../examples/reference-app/test/e2e/auth-helpers.js';
import { fakeTelegram } from '../../packages/oauth-providers/test/fake-providers.js';
import {
  codeFrom,
  fakeProvider,
  totp,
  type FakeProvider,
} from '../../examples/reference-app/test/e2e/captcha-helpers.js';

// Every journey of the seeds, in Chromium, against the app on loopback with a loopback CAPTCHA (widget script and
// siteverify), the outbox for mail, and the pages as a person uses them. Any CSP violation fails the run.
// Screenshots of each page go to test/browser/.screenshots/ (git-ignored); docs/screenshots/ keeps a few.

const shots = path.join(__dirname, '.screenshots');
const jwtKey = randomBytes(32);

/** A stand-in for reCAPTCHA v3's api.js: `grecaptcha.execute` answers a token that names its action. */
const widgetScript = `window.grecaptcha = {
  ready(callback) { callback(); },
  execute(siteKey, options) {
    return Promise.resolve('tok.' + options.action + '.' + Math.random().toString(36).slice(2));
  },
};`;

/** A stand-in for Turnstile's api.js: a solved widget whose response names the action of its element. */
const turnstileScript = `window.turnstile = {
  getResponse() {
    return 'tok.' + document.getElementById('captcha').dataset.action + '.' + Math.random().toString(36).slice(2);
  },
  reset() {},
};`;

/** A stand-in for hCaptcha's api.js: a solved widget (hCaptcha tokens carry no action). */
const hcaptchaScript = `window.hcaptcha = {
  getResponse() { return 'tok.h.' + Math.random().toString(36).slice(2); },
  reset() {},
};`;

describeWithChromium('the pages in a real browser (Chromium): every journey', () => {
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let server: RunningServer;
  let widget: RunningServer;
  let provider: FakeProvider;
  let t: TestApp;
  let score = 0.9;
  const violations: string[] = [];
  const reportsReceived: string[] = [];
  const network: Array<{ method: string; url: string; type: string | undefined; body: string | null }> = [];

  const alice = 'alice@example.com';
  const bob = 'bob@example.com';

  beforeAll(async () => {
    mkdirSync(shots, { recursive: true });
    browser = await launchChromium();
    widget = await listen((req, res) => {
      const script = req.url?.startsWith('/turnstile')
        ? turnstileScript
        : req.url?.startsWith('/hcaptcha')
          ? hcaptchaScript
          : widgetScript;
      res.writeHead(200, { 'Content-Type': 'text/javascript' }).end(script);
    });
    provider = await fakeProvider('/siteverify');
    provider.reply = (call) => ({
      json: {
        success: true,
        score,
        action: String(call.body.response).split('.')[1],
        hostname: '127.0.0.1',
        challenge_ts: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
      },
    });
    let handler: RequestListener = (_req, res) => res.writeHead(503).end();
    server = await listen((req, res) => {
      if (req.url?.startsWith('/api/csp-report-endpoint')) reportsReceived.push(req.url);
      handler(req, res);
    });
    t = await startTestApp({
      ...fastHashing,
      PUBLIC_ORIGIN: server.url,
      JWT_SECRETS: `j1:${jwtKey.toString('base64')}`,
      CAPTCHA_PROVIDER: 'recaptcha',
      CAPTCHA_SECRET: 'captcha-secret',
      CAPTCHA_SITE_KEY: 'site-key',
      CAPTCHA_VERIFY_URL: `${provider.url}/siteverify`,
      CAPTCHA_SCRIPT_URL: `${widget.url}/recaptcha.js`,
    });
    handler = t.app;

    context = await browser.newContext({ viewport: { width: 1000, height: 800 } });
    // Runs in every document before its scripts (through the DevTools protocol, so the CSP does not apply to it).
    await context.addInitScript(() => {
      document.addEventListener('securitypolicyviolation', (event) => {
        console.error(`CSP violation: ${event.violatedDirective} ${event.blockedURI}`);
      });
    });
    page = await context.newPage();
    page.on('console', (message) => {
      if (/Content Security Policy|CSP violation/i.test(message.text())) violations.push(message.text());
    });
    page.on('request', (request) => {
      if (!request.url().startsWith(`${server.url}/api/`)) return;
      network.push({
        method: request.method(),
        url: request.url().slice(server.url.length),
        type: request.headers()['content-type'],
        body: request.postData(),
      });
    });
  }, 60_000);

  afterAll(async () => {
    await context?.close();
    await browser?.close();
    await server?.close();
    await widget?.close();
    await provider?.close();
    await t?.close();
  });

  afterEach(() => {
    // No journey may trip the CSP: not in the console, not as a report to the app.
    expect(violations).toEqual([]);
    expect(reportsReceived).toEqual([]);
  });

  const open = async (pathname: string) => {
    const response = await page.goto(`${server.url}${pathname}`);
    expect(response?.status()).toBe(200);
  };
  const statusOf = async (id: string, kind: 'ok' | 'error' = 'ok') => {
    const locator = page.locator(`#${id}[data-kind="${kind}"]`);
    await locator.waitFor({ timeout: 15_000 });
    return locator.textContent();
  };
  const shoot = (name: string) => page.screenshot({ path: path.join(shots, `${name}.png`), fullPage: true });

  it('signs up with a high score: the widget runs at submit, the app answers with the e-mail link', async () => {
    score = 0.9;
    await open('/signup');
    await page.getByLabel('E-mail').fill(alice);
    await page.getByLabel('Password').fill(goodPassword);
    await shoot('signup');
    await page.getByRole('button', { name: 'Create account' }).click();
    expect(await statusOf('signup-status')).toMatch(/Check your e-mail/);
    expect(provider.calls.at(-1)!.body).toMatchObject({ secret: 'captcha-secret' });
    expect(await t.services.users.findByEmail(alice)).toBeDefined();
  }, 60_000);

  it('confirms the address from the e-mailed link, reading the token from the fragment', async () => {
    const token = await tokenFromMail(t, alice);
    await open(`/verify-email#token=${token}`);
    expect(await statusOf('verify-status')).toMatch(/confirmed/);
    // The token is gone from the address bar and never went to the server in a URL.
    expect(page.url()).toBe(`${server.url}/verify-email`);
    expect(network.some((entry) => entry.url.includes(token))).toBe(false);
    await shoot('verify-email');
    expect((await t.services.users.findByEmail(alice))!.emailVerified).toBe(true);
  }, 60_000);

  it('signs in with the password and lands on the account page', async () => {
    await open('/signin');
    await shoot('signin');
    await page.getByLabel('E-mail').fill(alice);
    await page.getByLabel('Password').fill(goodPassword);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(`${server.url}/account`);
    await page.locator('#me-email', { hasText: alice }).waitFor();
    // No phone on this account: the line stays hidden rather than saying "Phone: ".
    expect(await page.locator('#me-phone-line').isHidden()).toBe(true);
  }, 60_000);

  it('creates a wallet and signs a message over the encrypted channel: the wire carries JWEs, not JSON', async () => {
    network.length = 0;
    await page.getByRole('button', { name: 'Create a wallet' }).click();
    expect(await statusOf('wallet-status')).toMatch(/^Wallet 0x[0-9a-fA-F]{40} created\.$/);
    await page.getByLabel('Message to sign').fill('pay bob 10');
    await page.getByRole('button', { name: 'Sign the message' }).click();
    expect(await statusOf('wallet-status')).toMatch(/signed/);
    expect(await page.locator('#signature').textContent()).toMatch(/signature 0x[0-9a-f]{130}/);
    const walletCalls = network.filter(
      (entry) => entry.url.startsWith('/api/wallets') && entry.method === 'POST',
    );
    expect(walletCalls).toHaveLength(2);
    for (const call of walletCalls) {
      expect(call.type).toBe('application/jose');
      // Compact JWE with direct encryption: header..iv.ciphertext.tag
      expect(call.body).toMatch(/^[\w-]+\.\.[\w-]+\.[\w-]+\.[\w-]+$/);
      expect(call.body).not.toContain('pay bob');
    }
  }, 60_000);

  it('refreshes an expired access token without the user noticing', async () => {
    // The access cookie as the app made it, re-signed as expired 5 minutes ago (same session, same key).
    const cookies = await context.cookies(server.url);
    const access = cookies.find((cookie) => cookie.name === 'at')!;
    const [header, payload] = access.value.split('.');
    const claims = JSON.parse(Buffer.from(payload!, 'base64url').toString()) as Record<string, number>;
    const now = Math.floor(Date.now() / 1000);
    const expired = Buffer.from(JSON.stringify({ ...claims, iat: now - 1500, exp: now - 300 })).toString(
      'base64url',
    );
    const signature = createHmac('sha256', jwtKey).update(`${header}.${expired}`).digest('base64url');
    await context.addCookies([{ ...access, value: `${header}.${expired}.${signature}` }]);

    network.length = 0;
    await open('/account');
    await page.locator('#me-email', { hasText: alice }).waitFor();
    await page.locator('#wallet-list li', { hasText: /^0x/ }).waitFor();
    expect(page.url()).toBe(`${server.url}/account`);
    const refreshes = network.filter((entry) => entry.url === '/api/auth/refresh');
    expect(refreshes).toHaveLength(1);
  }, 60_000);

  it('joins an activity once the 30-day volume reaches the threshold', async () => {
    const user = (await t.services.users.findByEmail(alice))!;
    await t.services.ledger.record({ userId: user.id, amount: 100_000, kind: 'trade', at: Date.now() });
    await open('/account');
    const join = page.locator('#activity-list button[data-activity="spring-bonus"]');
    await join.click();
    expect(await statusOf('activity-status')).toMatch(/joined/);
    await page.locator('#activity-list li', { hasText: 'Spring bonus' }).getByText('Joined').waitFor();
    expect(await t.services.activities.joinedAt('spring-bonus', user.id)).toBeDefined();
  }, 60_000);

  it('enrols MFA with a code computed from the QR secret', async () => {
    await page.getByRole('button', { name: 'Set up an authenticator app' }).click();
    await page.locator('#mfa-qr svg path').waitFor();
    const secret = (await page.locator('#mfa-secret').textContent())!;
    expect(secret).toMatch(/^[A-Z2-7]{16,}$/);
    await shoot('mfa');
    await page.getByLabel('Code from the app').fill(totp(secret, Date.now()));
    await page.getByRole('button', { name: 'Turn on' }).click();
    expect(await statusOf('mfa-status')).toMatch(/is on/);
    expect((await t.services.users.findByEmail(alice))!.mfa).toBeDefined();
  }, 60_000);

  it('signs up a referred user with a low score: the e-mailed code, then the masked referral', async () => {
    const link = (await page.locator('#referral-link').getAttribute('href'))!;
    expect(link).toMatch(/\/signup\?ref=[0-9A-Z]{10}$/);
    score = 0.3;
    const visitor = await context.browser()!.newContext();
    const other = await visitor.newPage();
    other.on('console', (message) => {
      if (/Content Security Policy|CSP violation/i.test(message.text())) violations.push(message.text());
    });
    try {
      await other.goto(link);
      await other.getByLabel('E-mail').fill(bob);
      await other.getByLabel('Password').fill(goodPassword);
      await other.getByRole('button', { name: 'Create account' }).click();
      await other.locator('#stepup:not([hidden])').waitFor({ timeout: 15_000 });
      await other.screenshot({ path: path.join(shots, 'signup-step-up.png'), fullPage: true });
      await mailTo(t, bob);
      await other.getByLabel('Verification code').fill(codeFrom(t, bob));
      await other.getByRole('button', { name: 'Confirm' }).click();
      await other.locator('#signup-status[data-kind="ok"]').waitFor({ timeout: 15_000 });
    } finally {
      await visitor.close();
    }
    const alicesId = (await t.services.users.findByEmail(alice))!.id;
    expect((await t.services.users.findByEmail(bob))!.referredBy).toBe(alicesId);
    await open('/account');
    await page.locator('#referral-list li', { hasText: /^b\*+b@e\*+\.com/ }).waitFor();
    await page.locator('#activity-list li', { hasText: 'Spring bonus' }).getByText('Joined').waitFor();
    await shoot('account');
  }, 60_000);

  it('signs out', async () => {
    await page.getByRole('button', { name: 'Sign out', exact: true }).click();
    await page.waitForURL(`${server.url}/signin`);
    const me = await page.evaluate(async () => (await fetch('/api/auth/me')).status);
    expect(me).toBe(401);
  }, 60_000);

  it('resets the password from the e-mailed link (a low score asks for the e-mailed code first), then signs in with the new one', async () => {
    score = 0.3;
    await open('/reset-password');
    await page.getByLabel('E-mail').fill(alice);
    await page.getByRole('button', { name: 'Send the link' }).click();
    await page.locator('#reset-code:not([hidden])').waitFor({ timeout: 15_000 });
    await mailTo(t, alice, 2);
    await page.getByLabel('Verification code').fill(codeFrom(t, alice));
    await page.getByRole('button', { name: 'Confirm' }).click();
    expect(await statusOf('reset-status')).toMatch(/Check your e-mail/);
    score = 0.9;
    const token = await tokenFromMail(t, alice, 3);
    // A new document, as when the link is opened from the mail (not a same-page fragment change).
    await page.goto('about:blank');
    await open(`/reset-password#token=${token}`);
    expect(page.url()).toBe(`${server.url}/reset-password`);
    await page.getByLabel('New password').fill('a brand new passphrase');
    await shoot('reset-password');
    await page.getByRole('button', { name: 'Set the password' }).click();
    expect(await statusOf('reset-status')).toMatch(/password is changed/);

    await open('/signin');
    await page.getByLabel('E-mail').fill(alice);
    await page.getByLabel('Password').fill('a brand new passphrase');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(`${server.url}/account`);
    await page.locator('#me-email', { hasText: alice }).waitFor();
  }, 60_000);

  it('reads on a phone', async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    await open('/signup');
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    await shoot('signup-phone');
  }, 60_000);

  it('signs up through a Turnstile widget: its response goes to the app as X-Captcha-Token', async () => {
    let handler: RequestListener = (_req, res) => res.writeHead(503).end();
    const origin = await listen((req, res) => handler(req, res));
    const turnstileApp = await startTestApp({
      ...fastHashing,
      PUBLIC_ORIGIN: origin.url,
      CAPTCHA_PROVIDER: 'turnstile',
      CAPTCHA_SECRET: 'turnstile-secret',
      CAPTCHA_SITE_KEY: 'turnstile-site-key',
      CAPTCHA_VERIFY_URL: `${provider.url}/siteverify`,
      CAPTCHA_SCRIPT_URL: `${widget.url}/turnstile.js`,
    });
    handler = turnstileApp.app;
    try {
      await page.goto(`${origin.url}/signup`);
      expect(await page.locator('#captcha.cf-turnstile').getAttribute('data-sitekey')).toBe(
        'turnstile-site-key',
      );
      await page.getByLabel('E-mail').fill('carol@example.com');
      await page.getByLabel('Password').fill(goodPassword);
      await page.getByRole('button', { name: 'Create account' }).click();
      expect(await statusOf('signup-status')).toMatch(/Check your e-mail/);
      expect(provider.calls.at(-1)!.body).toMatchObject({ secret: 'turnstile-secret' });
      expect(String(provider.calls.at(-1)!.body.response)).toMatch(/^tok\.register\./);
      expect(await turnstileApp.services.users.findByEmail('carol@example.com')).toBeDefined();
    } finally {
      await origin.close();
      await turnstileApp.close();
    }
  }, 60_000);
  it('signs up through an hCaptcha widget: the solved token goes to the app, which sends hCaptcha its site key', async () => {
    let handler: RequestListener = (_req, res) => res.writeHead(503).end();
    const origin = await listen((req, res) => handler(req, res));
    const hcaptchaApp = await startTestApp({
      ...fastHashing,
      PUBLIC_ORIGIN: origin.url,
      CAPTCHA_PROVIDER: 'hcaptcha',
      CAPTCHA_SECRET: 'hcaptcha-secret',
      CAPTCHA_SITE_KEY: 'hcaptcha-site-key',
      CAPTCHA_VERIFY_URL: `${provider.url}/siteverify`,
      CAPTCHA_SCRIPT_URL: `${widget.url}/hcaptcha.js`,
    });
    handler = hcaptchaApp.app;
    // hCaptcha without Enterprise answers no score: a solved challenge is the whole verdict.
    const reply = provider.reply;
    provider.reply = () => ({
      json: {
        success: true,
        hostname: '127.0.0.1',
        challenge_ts: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
      },
    });
    try {
      await page.goto(`${origin.url}/signup`);
      expect(await page.locator('#captcha.h-captcha').getAttribute('data-sitekey')).toBe('hcaptcha-site-key');
      await page.getByLabel('E-mail').fill('dave@example.com');
      await page.getByLabel('Password').fill(goodPassword);
      await page.getByRole('button', { name: 'Create account' }).click();
      expect(await statusOf('signup-status')).toMatch(/Check your e-mail/);
      expect(provider.calls.at(-1)!.body).toMatchObject({
        secret: 'hcaptcha-secret',
        sitekey: 'hcaptcha-site-key',
      });
      expect(String(provider.calls.at(-1)!.body.response)).toMatch(/^tok\.h\./);
      expect(await hcaptchaApp.services.users.findByEmail('dave@example.com')).toBeDefined();
    } finally {
      provider.reply = reply;
      await origin.close();
      await hcaptchaApp.close();
    }
  }, 60_000);

  it("signs in with Telegram from the sign-in page's button (OpenID Connect on loopback) and lands on the account", async () => {
    let handler: RequestListener = (_req, res) => res.writeHead(503).end();
    const origin = await listen((req, res) => handler(req, res));
    const client = { clientId: '123456789', clientSecret: 'telegram-secret' };
    const telegram = await fakeTelegram(client);
    const oauthApp = await startTestApp({
      ...fastHashing,
      PUBLIC_ORIGIN: origin.url,
      OAUTH_TELEGRAM_CLIENT_ID: client.clientId,
      OAUTH_TELEGRAM_CLIENT_SECRET: client.clientSecret,
      OAUTH_TELEGRAM_BASE_URL: telegram.url,
    });
    handler = oauthApp.app;
    telegram.claims = { phone_number: '+15551234567' };
    try {
      await page.goto(`${origin.url}/signin`);
      // The provider approves at once (a signed-in Telegram user who consents): app -> provider -> app -> /account.
      await page.getByRole('link', { name: 'Telegram' }).click();
      await page.waitForURL(`${origin.url}/account`);
      const me = await page.evaluate(async () => {
        const res = await fetch('/api/auth/me');
        return { status: res.status, body: (await res.json()) as { user?: { phone?: unknown } } };
      });
      expect(me.status).toBe(200);
      // Telegram vouched for the number: recorded as verified, shown masked.
      expect(me.body.user?.phone).toBe('+15•••••••67');
      await page.locator('#me-phone', { hasText: '+15•••••••67' }).waitFor();
      expect(await page.locator('#me-phone-line').isVisible()).toBe(true);
      const user = await oauthApp.services.users.findByIdentity('telegram:31337');
      expect(user?.phone?.number).toBe('+15551234567');
    } finally {
      await origin.close();
      await telegram.close();
      await oauthApp.close();
    }
  }, 60_000);
});
