export {
  corsGuard,
  defaultCorsAllowedHeaders,
  defaultCorsExposedHeaders,
  defaultCorsMethods,
  type CorsGuardOptions,
} from './cors-guard.js';
export { originAllowlist, type OriginAllowlist } from './origin-allowlist.js';
export { bodyGuard, mediaTypeOf, type BodyGuardOptions } from './body-guard.js';
// Kept exported here, where it was first published; it lives in core, which key-exchange shares.
export { hasBody } from '@shieldwall/core';
export type { BodyRoute } from './body-routes.js';
export { translateParserError } from './body-errors.js';
export { httpsRedirect, type HttpsRedirectOptions } from './https-redirect.js';
export { clientIp, validCountry, validIp, type ClientIpMode, type ClientIpOptions } from './client-ip.js';
export { ipRanges, parseIpRangeList, parseCloudflareIpsResponse, type IpRanges } from './ip-ranges.js';
export {
  cloudflareIpv4Ranges,
  cloudflareIpv6Ranges,
  cloudflareRanges,
  trustRanges,
} from './cloudflare-ranges.js';
