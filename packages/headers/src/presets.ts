import type { CspDirectives } from './csp.js';
import type { HstsOptions } from './hsts.js';
import type { PermissionsPolicy } from './permissions-policy.js';

export type PresetName = 'recommended' | 'platform' | 'api';
export type FrameOptions = 'DENY' | 'SAMEORIGIN';
export type XssProtection = '0' | '1; mode=block';
export type CrossOriginResourcePolicy = 'same-origin' | 'same-site' | 'cross-origin';

/** What a preset turns on; every field can be overridden (or turned off with `false`) in the options. */
export interface Preset {
  frameOptions: FrameOptions | false;
  xssProtection: XssProtection | false;
  noSniff: boolean;
  referrerPolicy: string | false;
  hsts: HstsOptions | false;
  /** CSP directives, or false for no CSP unless the options ask for one. */
  csp: CspDirectives | false;
  /** The CSP must carry a report-uri: `reporting` is required. */
  cspNeedsReporting: boolean;
  permissionsPolicy: PermissionsPolicy | false;
  /** `Cross-Origin-Resource-Policy`, or false for none. */
  crossOriginResourcePolicy: CrossOriginResourcePolicy | false;
  /** Helmet's other defaults: COOP, Origin-Agent-Cluster, X-DNS-Prefetch-Control, X-Download-Options, X-Permitted-Cross-Domain-Policies. */
  extras: boolean;
}

/** A strict starting policy: same-origin everything, no plugins, no inline handlers, no framing. */
const strictDirectives: CspDirectives = Object.freeze({
  defaultSrc: ["'self'"],
  baseUri: ["'self'"],
  fontSrc: ["'self'", 'https:', 'data:'],
  formAction: ["'self'"],
  imgSrc: ["'self'", 'data:'],
  objectSrc: ["'none'"],
  scriptSrc: ["'self'"],
  scriptSrcAttr: ["'none'"],
  styleSrc: ["'self'", 'https:', "'unsafe-inline'"],
  upgradeInsecureRequests: true,
});

export const presets: Readonly<Record<PresetName, Readonly<Preset>>> = Object.freeze({
  /** Current guidance (OWASP, helmet): the package default. */
  recommended: Object.freeze({
    frameOptions: 'DENY',
    xssProtection: '0',
    noSniff: true,
    referrerPolicy: 'strict-origin-when-cross-origin',
    hsts: { maxAge: 31_536_000, includeSubDomains: true, preload: false },
    csp: strictDirectives,
    cspNeedsReporting: false,
    permissionsPolicy: { camera: [], microphone: [], geolocation: [] },
    crossOriginResourcePolicy: 'same-origin',
    extras: true,
  }),
  /** The platform security page (seed 000): exactly its four headers. */
  platform: Object.freeze({
    frameOptions: 'DENY',
    xssProtection: '1; mode=block',
    noSniff: true,
    referrerPolicy: 'strict-origin-when-cross-origin',
    hsts: false,
    csp: false,
    cspNeedsReporting: false,
    permissionsPolicy: false,
    crossOriginResourcePolicy: false,
    extras: false,
  }),
  /** The API document (seed 002): HSTS with preload, nosniff, SAMEORIGIN, and a CSP with a versioned report-uri. */
  api: Object.freeze({
    frameOptions: 'SAMEORIGIN',
    xssProtection: false,
    noSniff: true,
    referrerPolicy: false,
    hsts: { maxAge: 31_536_000, includeSubDomains: true, preload: true },
    csp: Object.freeze({ defaultSrc: ["'self'"] }),
    cspNeedsReporting: true,
    permissionsPolicy: false,
    crossOriginResourcePolicy: false,
    extras: false,
  }),
});
