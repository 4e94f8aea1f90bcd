import express, { type Express } from 'express';
import { errorHandler, notFoundHandler } from '@shieldwall/core';
import type { Config } from './config/index.js';
import { placeholderGuards } from './guards.js';
import type { Feature } from './features/feature.js';
import { createServices, type ServiceOverrides, type Services } from './services.js';
import { mountRequestGuard, mountTrustProxy } from './features/request-guard.js';
import { mountHeaders } from './features/headers.js';
import { mountPlatform } from './features/platform.js';
import { mountHome } from './features/home.js';
import { mountCspReports } from './features/csp-reports.js';
import { mountRateLimits } from './features/rate-limits.js';
import { mountCaptcha } from './features/captcha.js';
import { mountAuth } from './features/auth.js';
import { mountOAuth } from './features/oauth.js';
import { mountKeyExchange } from './features/key-exchange.js';
import { mountWallets } from './features/wallets.js';
import { mountReferrals } from './features/referrals.js';
import { mountActivities } from './features/activities.js';

export interface ReferenceApp {
  app: Express;
  services: Services;
  close(): Promise<void>;
}

/**
 * Builds the platform from the packages. The order matters: the trust proxy setting, then the security headers
 * (every response carries them, the request guard's refusals included), then the request guard, then each
 * feature, then 404 and the error envelope last.
 */
export async function createReferenceApp(
  config: Config,
  overrides: ServiceOverrides = {},
): Promise<ReferenceApp> {
  const services = await createServices(config, overrides);
  const app = express();
  // Headers' hidePoweredBy covers only what passes through it; this covers every response.
  app.disable('x-powered-by');
  // Express's default weak ETag hashes every body it sends (SHA-1). Here nearly every body is per-user JSON or a
  // `no-store` page that no cache may reuse, so the hash buys nothing (docs/benchmarks.md, "ETag"); the one shared,
  // revalidated response (the key-exchange client script) sets its own.
  app.set('etag', false);
  const guards = placeholderGuards();
  const closers: Array<() => Promise<void>> = [];
  const mount = async (feature: Feature): Promise<void> => {
    const close = await feature(app, services, guards);
    if (close) closers.push(close);
  };

  await mount(mountTrustProxy);
  await mount(mountHeaders);
  await mount(mountRequestGuard);
  await mount(mountPlatform);
  await mount(mountRateLimits);
  await mount(mountCspReports);
  await mount(mountCaptcha);
  await mount(mountAuth);
  await mount(mountOAuth);
  await mount(mountKeyExchange);
  await mount(mountWallets);
  await mount(mountReferrals);
  await mount(mountActivities);
  await mount(mountHome);

  app.use(notFoundHandler());
  app.use(errorHandler({ logger: services.logger }));

  return {
    app,
    services,
    async close() {
      for (const close of closers.reverse()) await close();
      await services.close();
    },
  };
}
