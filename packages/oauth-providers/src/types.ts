import type { KeyObject } from 'node:crypto';
import type { Request, Response } from 'express';
import type { Clock, Logger, OnRefused, Store } from '@shieldwall/core';

/** The providers this package speaks. */
export type OAuthProviderName = 'google' | 'github' | 'vk' | 'yandex' | 'telegram';

/** A built-in provider, or the name a generic OpenID provider was mounted under (`providers.oidc`). */
export type ProviderName = OAuthProviderName | (string & {});

/**
 * What the app gets once a provider has vouched for a user. Provider tokens are not part of it: they are dropped
 * as soon as the profile is read.
 */
export interface OAuthProfile {
  provider: ProviderName;
  /** The provider's stable user id (Google `sub`, GitHub numeric id, VK `user_id`, Yandex `id`, Telegram `id`). */
  id: string;
  /** A display name, when the provider gives one. */
  name: string | null;
  /** The provider login or username, when there is one (GitHub, Yandex, Telegram). */
  username: string | null;
  avatarUrl: string | null;
  email: string | null;
  /**
   * True only when the provider says it verified `email` (Google `email_verified`, GitHub `verified` on the
   * chosen address). Never link an existing account by an e-mail whose `emailVerified` is false.
   */
  emailVerified: boolean;
  /** A phone number in E.164 form (`+15551234567`), when the provider shares one (Telegram, with the `phone` scope). */
  phone: string | null;
  /**
   * True only when the provider vouches for `phone`: Telegram accounts are registered by their phone number, so a
   * number Telegram shares is verified. The app may then mark it verified without sending its own SMS code.
   */
  phoneVerified: boolean;
}

/** Overrides of single endpoints; `baseUrl` is usually enough. */
export interface OAuthEndpoints {
  authorize?: string;
  token?: string;
  userInfo?: string;
  /** GitHub only: the `/user/emails` endpoint. */
  emails?: string;
}

export interface OAuthClientOptions {
  clientId: string;
  /** Sent to the token endpoint (not to VK ID, whose web flow is PKCE-only). Never logged. */
  clientSecret: string;
  /**
   * One origin (or origin + path prefix) that replaces every endpoint host of the provider, for tests and
   * self-hosted gateways; paths stay the provider's. Defaults to the provider's real hosts.
   */
  baseUrl?: string;
  /** Single endpoint overrides, applied after `baseUrl`. Defaults to none. */
  endpoints?: OAuthEndpoints;
  /** Scopes to request. Defaults per provider (README table): enough for id, name, avatar and e-mail. */
  scope?: readonly string[];
}

/**
 * An OpenID Connect provider (Google, Telegram): discovery, authorization code with PKCE S256, `state` and
 * `nonce`, the code exchanged with the client secret, and the ID token verified against the provider's JWKS.
 */
export interface OidcClientOptions {
  /** Google: the OAuth client id. Telegram: the bot's numeric id, shown by @BotFather as the Client ID. */
  clientId: string;
  /** Sent to the token endpoint (HTTP Basic, or the form when the provider only takes that). Never logged. */
  clientSecret: string;
  /**
   * The issuer: discovery is read from `${issuer}/.well-known/openid-configuration`, whose `issuer` must equal
   * it, and ID tokens must carry it as `iss`. Tests and gateways point it elsewhere. Defaults to
   * `https://oauth.telegram.org` (Telegram) or `https://accounts.google.com` (Google).
   */
  issuer?: string;
  /** Scopes to request; must include `openid`. Defaults: Telegram `openid profile phone`, Google `openid email profile`. */
  scope?: readonly string[];
}

/**
 * The legacy Telegram Login Widget: user data signed with an HMAC keyed by the bot token, no code exchange, no
 * `state` at the provider. Weaker than OpenID Connect (anyone holding the bot token can mint logins, and the bot
 * token also controls the bot); only for bots that cannot use Telegram's OpenID Connect login yet.
 */
export interface TelegramWidgetOptions {
  /** Must be `true`: the widget is never chosen by accident. */
  legacyWidget: true;
  /** The bot token from @BotFather (`123456:ABC...`); the HMAC key is SHA-256 of it. Never logged. */
  botToken: string;
  /** Replaces `https://oauth.telegram.org` for the redirect. Defaults to Telegram's host. */
  baseUrl?: string;
  /** How old `auth_date` may be, in seconds. Defaults to 3600 (one hour); at most 86 400. */
  maxAgeSeconds?: number;
}

/**
 * Any other OpenID Connect provider (Keycloak, Auth0, Entra ID, ...), found by its issuer alone: the same flow
 * and ID token checks as Google and Telegram. The profile: `sub`, `name` (or `given_name` + `family_name`),
 * `preferred_username`, `picture`, `email` with `email_verified`, `phone_number` with `phone_number_verified`.
 */
export interface GenericOidcOptions extends OidcClientOptions {
  /** Required: `https://keycloak.example.com/realms/main`, `https://tenant.eu.auth0.com`, ... */
  issuer: string;
  /** Defaults to `openid email profile`. */
  scope?: readonly string[];
}

/** Telegram: OpenID Connect by default, the legacy widget only when asked for by name. */
export type TelegramOptions = OidcClientOptions | TelegramWidgetOptions;

export interface OAuthProvidersConfig {
  google?: OidcClientOptions;
  github?: OAuthClientOptions;
  vk?: OAuthClientOptions;
  yandex?: OAuthClientOptions;
  telegram?: TelegramOptions;
  /**
   * Generic OpenID providers by the name their routes take: `{ keycloak: { issuer, clientId, clientSecret } }`
   * mounts `<basePath>/keycloak` and its callback. Names are lower-case letters, digits and dashes, and not a
   * built-in provider's.
   */
  oidc?: Readonly<Record<string, GenericOidcOptions>>;
}

export interface OAuthProvidersOptions {
  /**
   * The app's public origin (`https://app.example.com`). Redirect URIs are built from it, never from the Host
   * header, and must be registered at each provider exactly as `${publicOrigin}${basePath}/<provider>/callback`.
   * Required.
   */
  publicOrigin: string;
  /** The providers to mount; each present key mounts its two routes. Required, at least one. */
  providers: OAuthProvidersConfig;
  /**
   * The HMAC-SHA256 key that signs the short-lived flow cookie (state, PKCE verifier, expiry): a secret
   * `KeyObject` or at least 32 random bytes. Required.
   */
  stateKey: KeyObject | Uint8Array;
  /**
   * Called with the normalised profile once the provider vouched for the user: find or create the user and sign
   * them in. If it does not answer, the package redirects to `successRedirect`. Required.
   */
  onProfile: (profile: OAuthProfile, req: Request, res: Response) => Promise<void>;
  /** Where the routes live. Defaults to `/api/auth/oauth`. */
  basePath?: string;
  /**
   * Marks the flow cookie `Secure` and names it `__Host-sw-oauth-<provider>`. Turn off only for plain-HTTP
   * development. Defaults to true.
   */
  secure?: boolean;
  /** Records used `state` values (and Telegram hashes) so that a replayed callback fails. Defaults to `memoryStore()`. */
  store?: Store;
  /** Outbound HTTP to the providers. Defaults to `globalThis.fetch`. */
  fetch?: typeof fetch;
  /** Time allowed for each call to a provider. Defaults to 10 000 ms. */
  timeoutMs?: number;
  /**
   * OpenID providers: the least time between two JWKS fetches caused by an ID token whose `kid` is not in the
   * cached key set (the provider rotated its keys). Defaults to 60 000 ms (one minute).
   */
  jwksRefreshMs?: number;
  /** How long a started sign-in may take. Defaults to 600 000 ms (10 minutes). */
  stateTtlMs?: number;
  /** Where to send the browser when `onProfile` did not answer. Defaults to `/`. */
  successRedirect?: string;
  /** Defaults to the system clock. */
  clock?: Clock;
  /** Provider failures are logged here (provider and error code only). Defaults to a silent logger. */
  logger?: Logger;
  /**
   * Takes over the refusals (400 `oauth_invalid_request`, 403 `oauth_access_denied`, 403 `oauth_state_mismatch`,
   * 401 ID-token and Telegram refusals, ...): `(error, req, res, next)` with `error.status` and `error.code`.
   * Defaults to sending the JSON envelope, so no error handler is needed; call `next(error)` to hand them to yours
   * (for example to redirect to a sign-in page with a message). Provider failures (502) and `onProfile`'s own
   * errors always go to `next`.
   */
  onRefused?: OnRefused;
}
