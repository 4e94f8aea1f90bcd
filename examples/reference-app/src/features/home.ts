import type { Request, Response } from 'express';
import { loadAssets, serveAssets } from '../pages/assets.js';
import { layout, type PageParts } from '../pages/layout.js';
import {
  accountPage,
  homePage,
  referralFrom,
  resetPasswordPage,
  signInPage,
  signUpPage,
  verifyEmailPage,
} from '../pages/views.js';
import type { Feature } from './feature.js';

/**
 * The pages (SPEC.md: `/`, `/signup`, `/signin`, `/verify-email`, `/reset-password`, `/account`), rendered on the
 * server with the CSRF token that the key-exchange feature put in `res.locals` for these paths (rate-limited there
 * as pages, and storing nothing per anonymous load), and their client modules, bundled at start.
 */
export const mountHome: Feature = async (app, services) => {
  const { config } = services;
  const assets = await loadAssets();
  serveAssets(app, assets);

  const page = (parts: (req: Request) => PageParts) => (req: Request, res: Response) => {
    // Every render carries a fresh CSRF token and nonce: never cached, by the browser or a proxy.
    res.setHeader('Cache-Control', 'no-store');
    res.type('html').send(layout(res, assets, parts(req)));
  };
  app.get('/', page(homePage));
  app.get(
    '/signup',
    page((req) => signUpPage(config, referralFrom(req.query))),
  );
  app.get(
    '/signin',
    page(() => signInPage(config)),
  );
  app.get('/verify-email', page(verifyEmailPage));
  app.get(
    '/reset-password',
    page(() => resetPasswordPage(config)),
  );
  app.get('/account', page(accountPage));

  // Browsers ask for it on every page; answering keeps their consoles (and our 404 counts) clean.
  app.get('/favicon.ico', (_req, res) => {
    res.setHeader('Cache-Control', 'public, max-age=86400');
    res.status(204).end();
  });
};
