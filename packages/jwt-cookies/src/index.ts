export { jwtCookies, type JwtCookies } from './jwt-cookies.js';
export type { JwtCookiesOptions } from './options.js';
export { keyRing, minimumSecretBytes, type SigningKey, type KeyRing } from './keys.js';
export { accessType, refreshType, type AccessClaims, type RefreshClaims } from './tokens.js';
export { createAuthFetch, type AuthFetchOptions } from './client.js';
