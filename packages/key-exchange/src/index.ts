export { keyExchange, csrfMetaTag, type KeyExchange, type KeyExchangeOptions } from './key-exchange.js';
export { ephemeralSealer, type SecretSealer } from './sealer.js';
export type { CsrfSecret, Csrf } from './csrf.js';
export type { WebKeyRing, PublishedKey } from './key-ring.js';
export type { PublicJwk } from './jwk.js';
export {
  createAppVersionKey,
  createAppVersionRegistry,
  compareVersions,
  type AppVersionKey,
  type AppVersionsConfig,
  type AppVersionRegistry,
  type AppVersionStatus,
} from './app-versions.js';
export { envelopeHeader, type ChannelOptions } from './channel.js';
export { appPlatformHeader, appVersionHeader } from './session-key.js';
export { envelopeTypes } from './envelope.js';
export type { ChannelInfo } from './context.js';
