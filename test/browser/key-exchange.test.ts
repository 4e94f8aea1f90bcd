import type { RequestListener } from 'node:http';
import type { Browser } from 'playwright-core';
import { describeWithChromium, launchChromium, listen, type RunningServer } from '@shieldwall/test-utils';
import { startTestApp, type TestApp } from '../../examples/reference-app/test/helpers/reference-app.js';

describeWithChromium('key exchange in a real browser (Chromium)', () => {
  let browser: Browser;
  let server: RunningServer;
  let t: TestApp;

  beforeAll(async () => {
    browser = await launchChromium();
    let handler: RequestListener = (_req, res) => res.writeHead(503).end();
    server = await listen((req, res) => handler(req, res));
    t = await startTestApp({ PUBLIC_ORIGIN: server.url });
    handler = t.app;
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await t?.close();
  });

  it("the page's client establishes a channel under CSP and makes encrypted calls", async () => {
    const page = await browser.newPage();
    const violations: string[] = [];
    page.on('console', (message) => {
      if (/Content Security Policy/i.test(message.text())) violations.push(message.text());
    });
    const captured: Array<Promise<{ type: string | null; body: string }>> = [];
    page.on('response', (response) => {
      if (!response.url().includes('/api/security/echo')) return;
      captured.push(
        response.text().then((body) => ({ type: response.headers()['content-type'] ?? null, body })),
      );
    });
    const response = await page.goto(`${server.url}/`);
    expect(response?.status()).toBe(200);
    await page.waitForFunction(
      () => document.getElementById('status')?.textContent !== 'Loading.',
      undefined,
      {
        timeout: 15_000,
      },
    );
    expect(await page.evaluate(() => document.getElementById('status')?.dataset.error ?? null)).toBeNull();
    expect(await page.evaluate(() => document.getElementById('status')?.textContent)).toBe(
      'Encrypted channel ready.',
    );
    const echo = await page.evaluate(
      () => (window as unknown as { shieldwall: { echo: unknown } }).shieldwall.echo,
    );
    expect(echo).toEqual({ echo: { hello: 'page' }, method: 'POST' });

    // A second call from the page's own code, with a body only the channel can read.
    const again = await page.evaluate(async () => {
      const { client } = (window as unknown as { shieldwall: { client: { fetch: typeof fetch } } })
        .shieldwall;
      const r = await client.fetch('/api/security/echo', {
        method: 'POST',
        body: { secret: 'never-on-the-wire' } as unknown as BodyInit,
      });
      return r.json() as Promise<unknown>;
    });
    expect(again).toEqual({ echo: { secret: 'never-on-the-wire' }, method: 'POST' });
    const wire = await Promise.all(captured);
    expect(wire.length).toBeGreaterThanOrEqual(2);
    for (const entry of wire) {
      expect(entry.type).toBe('application/jose');
      expect(entry.body).not.toContain('never-on-the-wire');
    }
    expect(violations).toEqual([]);
    // The session cookie is HttpOnly: page scripts cannot read it.
    expect(await page.evaluate(() => document.cookie)).toBe('');
    await page.close();
  });
});
