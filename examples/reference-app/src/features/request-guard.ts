import {
  bodyGuard,
  clientIp,
  cloudflareRanges,
  corsGuard,
  httpsRedirect,
  trustRanges,
  type BodyRoute,
} from '@shieldwall/request-guard';
import type { Feature } from './feature.js';

const json = 'application/json';
const jose = 'application/jose';

/**
 * Content-Type exceptions per route; the last entry is what every other path takes. Routes listed here with a type
 * other than application/json parse their own bodies (the guard leaves those unread). A feature that needs
 * another type adds one line here.
 */
export const bodyRoutes: readonly BodyRoute[] = [
  {
    path: '/api/csp-report-endpoint',
    types: ['application/csp-report', 'application/reports+json', json],
    limit: 64 * 1024,
  },
  // The handshake is a JWE and nothing else: JSON gets 415 here, before any parser can call it malformed.
  { path: '/api/security/session-key', types: [jose] },
  { path: '/api/security/echo', types: [jose, json] },
  { path: '/api/wallets*', types: [jose, json] },
  { path: '/api/activities*', types: [jose, json] },
  // Sign-in, registration and codes take small JSON only (the same cap as those features' own parsers).
  { path: '/api/auth*', types: [json], limit: 16 * 1024 },
  { path: '/api/otp*', types: [json], limit: 16 * 1024 },
  // Everywhere else an envelope passes unread, so a path with no route answers 404 `not_found`, as it would with any
  // other body, rather than 415 (route first, then open: docs/protocols/key-exchange.md, section 6).
  { path: () => true, types: [json, jose] },
];

/**
 * Express's trust proxy setting, mounted before everything else: the security headers read `req.secure` (HSTS on
 * HTTPS only) and run before the rest of the request guard. With TRUST_PROXY=cloudflare only Cloudflare's edges
 * are trusted, for the scheme and for the client IP.
 */
export const mountTrustProxy: Feature = async (app, services) => {
  const { config } = services;
  app.set(
    'trust proxy',
    config.trustProxy === 'cloudflare' ? trustRanges(cloudflareRanges()) : config.trustProxy,
  );
};

/**
 * The request guard, mounted right after the security headers so that its refusals (redirects, CORS 403, body
 * 413/415/400) carry them too: the HTTPS redirect (production), the client IP, CORS and the body guard.
 */
export const mountRequestGuard: Feature = async (app, services) => {
  const { config } = services;
  const cloudflare = config.trustProxy === 'cloudflare' ? cloudflareRanges() : undefined;

  if (config.production) {
    app.use(httpsRedirect({ origin: config.publicOrigin, skipPaths: ['/healthz'] }));
  }
  app.use(
    clientIp(
      cloudflare
        ? { mode: 'cloudflare', cloudflareRanges: cloudflare, logger: services.logger }
        : { mode: 'express', logger: services.logger },
    ),
  );
  app.use(corsGuard({ origins: [config.publicOrigin, ...config.corsOrigins] }));
  app.use(bodyGuard({ routes: bodyRoutes }));
};
