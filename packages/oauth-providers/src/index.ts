export { oauthProviders, type OAuthProvidersRouter } from './router.js';
export type {
  OAuthClientOptions,
  OAuthEndpoints,
  OAuthProfile,
  OAuthProviderName,
  OAuthProvidersConfig,
  OAuthProvidersOptions,
  OidcClientOptions,
  GenericOidcOptions,
  ProviderName,
  TelegramOptions,
  TelegramWidgetOptions,
} from './types.js';
export {
  telegramCheck,
  TelegramStrategy,
  type TelegramCheckOptions,
  type TelegramVerdict,
} from './providers/telegram.js';
export { chooseGitHubEmail } from './providers/github.js';
