export { securityHeaders } from './security-headers.js';
export type { SecurityHeadersOptions, CspReporting } from './options.js';
export type { CspOptions, CspDirectives, DirectiveName } from './csp.js';
export type { HstsOptions } from './hsts.js';
export type { PermissionsPolicy } from './permissions-policy.js';
export {
  presets,
  type Preset,
  type PresetName,
  type FrameOptions,
  type XssProtection,
  type CrossOriginResourcePolicy,
} from './presets.js';
export { createNonce } from './nonce.js';
