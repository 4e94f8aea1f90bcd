import { randomBytes } from 'node:crypto';
import express from 'express';
import { errorHandler, manualClock } from '@shieldwall/core';
import { describeWithChromium, launchChromium, listen, type RunningServer } from '@shieldwall/test-utils';
import { oauthProviders, type OAuthProfile, type OAuthProvidersRouter } from '../src/index.js';
import { signTelegram } from './fake-providers.js';
import { botToken } from './harness.js';

// The Telegram redirect flow in a real browser: start route → a fake oauth.telegram.org that returns to the
// callback with the signed data in the URL fragment → the relay page (under its hash-only CSP) moves it into the
// query → the callback checks it. Proves the relay script runs and survives base64's + / = characters.
describeWithChromium('Telegram redirect flow in Chromium', () => {
  let browser: Awaited<ReturnType<typeof launchChromium>>;
  let app: RunningServer;
  let telegram: RunningServer;
  let router: OAuthProvidersRouter;
  const profiles: OAuthProfile[] = [];
  const clock = manualClock(Date.now());
  const seen: Record<string, string>[] = [];
  const results: string[] = [];

  beforeAll(async () => {
    browser = await launchChromium();
    const fakeTelegram = express().get('/auth', (req, res) => {
      seen.push(req.query as Record<string, string>);
      // "+" "/" and "=" appear in standard base64 of this payload (chosen so), the hard case for the relay.
      const signed = signTelegram(botToken, {
        id: '31337',
        first_name: 'Ada ~~~ >>> ???',
        username: 'ada',
        auth_date: String(Math.floor(clock.now() / 1000)),
      });
      const json = { ...signed, id: 31337, auth_date: Number(signed.auth_date) };
      const result = Buffer.from(JSON.stringify(json)).toString('base64');
      results.push(result);
      res.redirect(302, `${req.query.return_to as string}#tgAuthResult=${result}`);
    });
    telegram = await listen(fakeTelegram);
    const handler: { app?: express.Express } = {};
    app = await listen((req, res) => handler.app!(req, res));
    router = oauthProviders({
      publicOrigin: app.url,
      providers: { telegram: { legacyWidget: true, botToken, baseUrl: telegram.url } },
      stateKey: randomBytes(32),
      secure: false,
      clock,
      onProfile: async (profile, _req, res) => {
        profiles.push(profile);
        res.type('html').send('<p id="done">signed in</p>');
      },
    });
    handler.app = express().use(router).use(errorHandler());
  });
  afterAll(async () => {
    await browser.close();
    await router.close();
    await app.close();
    await telegram.close();
  });

  it('signs in through the fragment relay', async () => {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });
    await page.goto(`${app.url}/api/auth/oauth/telegram`);
    await page.waitForSelector('#done');
    expect(seen[0]).toMatchObject({ bot_id: '123456789', origin: app.url });
    expect(new URL(page.url()).searchParams.get('tgAuthResult')).toBeTruthy();
    expect(profiles).toEqual([
      expect.objectContaining({ provider: 'telegram', id: '31337', username: 'ada' }),
    ]);
    // The only console error allowed is the favicon's 404: no CSP refusal of the relay script.
    expect(errors.filter((e) => /Refused|Content Security Policy|SyntaxError/.test(e))).toEqual([]);
    expect(results[0]).toMatch(/[+/]/);
    await page.close();
  });
});
