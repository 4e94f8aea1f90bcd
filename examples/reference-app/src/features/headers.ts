import { securityHeaders } from '@shieldwall/headers';
import { cspReporterFor } from './csp-reports.js';
import type { Feature } from './feature.js';

/**
 * Every response's headers (SPEC "Every response"): the `platform` preset (000's four headers, including
 * `X-XSS-Protection: 1; mode=block`), HSTS with preload on HTTPS only (002), frame options from config,
 * `Cross-Origin-Resource-Policy: same-origin`, and a CSP with per-request nonces that reports to the CSP endpoint
 * with the configured version.
 */
export const mountHeaders: Feature = async (app, services, guards) => {
  const { config } = services;
  app.use(
    securityHeaders({
      preset: 'platform',
      frameOptions: config.frameOptions,
      hsts: { maxAge: 31_536_000, includeSubDomains: true, preload: true },
      // Nothing here is meant to be embedded by other sites; the Observatory grades it (issue 17).
      crossOriginResourcePolicy: 'same-origin',
      reporting: cspReporterFor(services, guards).reporting,
      csp: {
        useDefaults: false,
        directives: {
          defaultSrc: ["'self'"],
          // 'self' serves the key-exchange browser client; inline scripts need the per-request nonce.
          scriptSrc: ["'self'", "'report-sample'"],
          scriptSrcAttr: ["'none'"],
          styleSrc: ["'self'"],
          imgSrc: ["'self'", 'data:'],
          fontSrc: ["'self'"],
          connectSrc: ["'self'"],
          objectSrc: ["'none'"],
          baseUri: ["'self'"],
          formAction: ["'self'"],
        },
      },
    }),
  );
};
