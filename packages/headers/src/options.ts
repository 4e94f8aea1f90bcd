import type { OptionNames } from '@shieldwall/core';
import type { CspOptions } from './csp.js';
import type { HstsOptions } from './hsts.js';
import type { PermissionsPolicy } from './permissions-policy.js';
import type { CrossOriginResourcePolicy, FrameOptions, PresetName, XssProtection } from './presets.js';

/**
 * Where CSP reports go. @shieldwall/csp-reporter's `reporter.reporting` has this shape: pass it as is, so the
 * header and the endpoint share one path, version and group.
 */
export interface CspReporting {
  /** The `report-uri` value: the endpoint path with `?version=N`. */
  readonly uri: string;
  /** The Reporting API group for `report-to`. */
  readonly group: string;
  /** The absolute endpoint URL for `Reporting-Endpoints`, given the site's origin. */
  endpointUrl(origin?: string): string | undefined;
}

export interface SecurityHeadersOptions {
  /** The starting set: `recommended` (current guidance), `platform` (seed 000) or `api` (seed 002). Defaults to `recommended`. */
  preset?: PresetName;
  /** `X-Frame-Options`, mirrored in CSP `frame-ancestors`; `false` sends neither. Defaults to the preset's (`DENY`; `api`: `SAMEORIGIN`). */
  frameOptions?: FrameOptions | false;
  /** `X-XSS-Protection`. Defaults to the preset's (`0`; `platform`: `1; mode=block`; `api`: not sent). */
  xssProtection?: XssProtection | false;
  /** `X-Content-Type-Options: nosniff`. Defaults to `true`. */
  noSniff?: boolean;
  /** `Referrer-Policy` (one token or a comma list). Defaults to the preset's (`strict-origin-when-cross-origin`; `api`: not sent). */
  referrerPolicy?: string | false;
  /** HSTS, sent only on secure requests (`req.secure`, which follows Express's trust proxy). Defaults to the preset's. */
  hsts?: HstsOptions | false;
  /** The enforced CSP. Defaults to the preset's (`recommended`: strict same-origin with nonces; `platform`: none). */
  csp?: CspOptions | false;
  /** A report-only CSP sent beside the enforced one (same nonce), to try a policy before enforcing it. Defaults to none. */
  cspReportOnly?: CspOptions | false;
  /** The report endpoint: `reporter.reporting` from @shieldwall/csp-reporter. Adds `report-uri`, `report-to` and `Reporting-Endpoints`. Defaults to none. */
  reporting?: CspReporting;
  /** The site's origin for the absolute `Reporting-Endpoints` URL, when the reporter does not know it. Defaults to the reporter's `publicOrigin`. */
  publicOrigin?: string;
  /** `Permissions-Policy`: feature → allowlist. Defaults to the preset's (`recommended`: camera, microphone, geolocation off). */
  permissionsPolicy?: PermissionsPolicy | false;
  /** `Cross-Origin-Resource-Policy`: which sites may embed this response. Defaults to the preset's (`recommended`: `same-origin`; else not sent). */
  crossOriginResourcePolicy?: CrossOriginResourcePolicy | false;
  /** Helmet's other defaults (COOP, Origin-Agent-Cluster, ...). Defaults to `true` for `recommended`, else `false`. */
  extras?: boolean;
  /** Removes `X-Powered-By`. Defaults to `true`. */
  hidePoweredBy?: boolean;
}

export const securityHeadersOptionNames: OptionNames<SecurityHeadersOptions> = {
  preset: true,
  frameOptions: true,
  xssProtection: true,
  noSniff: true,
  referrerPolicy: true,
  hsts: true,
  csp: true,
  cspReportOnly: true,
  reporting: true,
  publicOrigin: true,
  permissionsPolicy: true,
  crossOriginResourcePolicy: true,
  extras: true,
  hidePoweredBy: true,
};

const toExtras = [
  'crossOriginEmbedderPolicy',
  'crossOriginOpenerPolicy',
  'originAgentCluster',
  'xDnsPrefetchControl',
  'dnsPrefetchControl',
  'xDownloadOptions',
  'ieNoOpen',
  'xPermittedCrossDomainPolicies',
  'permittedCrossDomainPolicies',
];

// helmet's option names, which people bring with them; ignored, each would leave its header at our default.
export const helmetOptionHints: Readonly<Record<string, string>> = {
  contentSecurityPolicy: 'csp',
  frameguard: 'frameOptions',
  xFrameOptions: 'frameOptions',
  strictTransportSecurity: 'hsts',
  xXssProtection: 'xssProtection',
  xssFilter: 'xssProtection',
  xContentTypeOptions: 'noSniff',
  xPoweredBy: 'hidePoweredBy',
  ...Object.fromEntries(toExtras.map((name) => [name, 'extras'])),
};

export const helmetHintNote =
  "helmet's option names and ours are listed side by side in @shieldwall/headers' README (Coming from helmet).";
