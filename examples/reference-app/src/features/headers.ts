import { securityHeaders } from '@shieldwall/headers';
import { captchaCspSources } from '../pages/captcha-widget.js';
import { cspReporterFor } from './csp-reports.js';
import type { Feature } from './feature.js';

/**
 * Every response's headers (SPEC "Every response"): the `platform` preset (000's four headers, including
 * `X-XSS-Protection: 1; mode=block`), HSTS with preload on HTTPS only (002), frame options from config,
 * `Cross-Origin-Resource-Policy: same-origin`, and a CSP with per-request nonces that reports to the CSP endpoint
 * with the configured version.
 *
 * The CSP starts from `default-src 'none'` and opens each directive the pages need, and no more: the app's own
 * scripts (each with the request's nonce and SRI), its stylesheet, `data:` images, same-origin fetches, and the
 * configured CAPTCHA provider's documented sources (none without a provider).
 */
export const mountHeaders: Feature = async (app, services, guards) => {
  const { config } = services;
  const captcha = captchaCspSources(config.captcha);
  const frameSrc = captcha.frameSrc.length > 0 ? { frameSrc: captcha.frameSrc } : {};
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
          defaultSrc: ["'none'"],
          scriptSrc: ["'self'", "'report-sample'", ...captcha.scriptSrc],
          scriptSrcAttr: ["'none'"],
          styleSrc: ["'self'", ...captcha.styleSrc],
          imgSrc: ["'self'", 'data:'],
          connectSrc: ["'self'", ...captcha.connectSrc],
          ...frameSrc,
          objectSrc: ["'none'"],
          baseUri: ["'none'"],
          formAction: ["'self'"],
          frameAncestors: [config.frameOptions === 'SAMEORIGIN' ? "'self'" : "'none'"],
        },
      },
    }),
  );
};
