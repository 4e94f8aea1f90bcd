import { createSecretKey, KeyObject } from 'node:crypto';
import {
  checkOptionNames,
  configError,
  memoryStore,
  positiveInteger,
  prefixedStore,
  refusals,
  silentLogger,
  systemClock,
  type Clock,
  type Logger,
  type OptionNames,
  type Refuse,
  type Store,
} from '@shieldwall/core';
import { packageName } from './errors.js';
import type {
  OAuthClientOptions,
  OAuthProvidersOptions,
  ProviderName,
  OidcClientOptions,
  TelegramWidgetOptions,
} from './types.js';

/** An OpenID provider's options, checked, with defaults applied. */
export interface ParsedOidc {
  /** Whose claims mapping and issuer defaults apply. */
  kind: OidcName | 'generic';
  clientId: string;
  clientSecret: string;
  issuer: string;
  scope: string[];
}

export type OidcName = 'google' | 'telegram';

export interface ParsedOptions {
  origin: string;
  basePath: string;
  clients: Partial<Record<'github' | 'vk' | 'yandex', OAuthClientOptions>>;
  /** Google, Telegram and the generic OpenID providers, by route name. */
  oidc: Record<string, ParsedOidc>;
  /** The legacy widget, only when `providers.telegram.legacyWidget` is true. */
  telegram: (TelegramWidgetOptions & { maxAgeSeconds: number; botId: string }) | undefined;
  jwksRefreshMs: number;
  key: KeyObject;
  secure: boolean;
  store: Store;
  ownStore: Store | undefined;
  fetch: typeof fetch;
  timeoutMs: number;
  stateTtlMs: number;
  successRedirect: string;
  clock: Clock;
  logger: Logger;
  onProfile: OAuthProvidersOptions['onProfile'];
  /** Answers a refusal (the envelope or the user's `onRefused`); failures go on to `next`. */
  refuse: Refuse;
}

const oauthNames = ['github', 'vk', 'yandex'] as const;

export const oidcDefaults: Record<OidcName, { issuer: string; scope: readonly string[] }> = {
  // Telegram's documented issuer; discovery at https://oauth.telegram.org/.well-known/openid-configuration.
  telegram: { issuer: 'https://oauth.telegram.org', scope: ['openid', 'profile', 'phone'] },
  google: { issuer: 'https://accounts.google.com', scope: ['openid', 'email', 'profile'] },
};
const genericDefaults = { issuer: '', scope: ['openid', 'email', 'profile'] } as const;

const builtIn = ['google', 'github', 'vk', 'yandex', 'telegram'];

/** `providers.oidc`: names become route segments and cookie names, so they are kept to a safe alphabet. */
function genericProviders(value: unknown): Record<string, ParsedOidc> {
  if (value === undefined) return {};
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw configError(
      packageName,
      'providers.oidc',
      value,
      'pass { <name>: { issuer, clientId, clientSecret } }.',
    );
  const parsed: Record<string, ParsedOidc> = {};
  for (const [name, options] of Object.entries(value as Record<string, OidcClientOptions>)) {
    if (!/^[a-z][a-z0-9-]{0,31}$/.test(name) || builtIn.includes(name))
      throw configError(
        packageName,
        'providers.oidc',
        name,
        'name each provider with lower-case letters, digits and dashes, other than google, github, vk, yandex or telegram.',
      );
    parsed[name] = oidc(`oidc.${name}`, 'generic', options);
  }
  return parsed;
}

function httpUrl(option: string, value: unknown, originOnly: boolean): string {
  let parsed: URL | undefined;
  try {
    parsed = typeof value === 'string' ? new URL(value) : undefined;
  } catch {
    parsed = undefined;
  }
  const fix = originOnly ? 'pass an origin such as "https://app.example.com".' : 'pass an http(s) URL.';
  if (!parsed || (parsed.protocol !== 'https:' && parsed.protocol !== 'http:')) {
    throw configError(packageName, option, value, fix);
  }
  if (originOnly && parsed.origin !== String(value).replace(/\/$/, '')) {
    throw configError(packageName, option, value, fix);
  }
  return originOnly ? parsed.origin : String(value);
}

function stateKey(value: unknown): KeyObject {
  if (value instanceof KeyObject) {
    if (value.type !== 'secret' || (value.symmetricKeySize ?? 0) < 32)
      throw configError(
        packageName,
        'stateKey',
        'a KeyObject',
        'pass a secret KeyObject of at least 32 bytes.',
      );
    return value;
  }
  if (value instanceof Uint8Array && value.byteLength >= 32) return createSecretKey(Buffer.from(value));
  throw configError(
    packageName,
    'stateKey',
    value instanceof Uint8Array ? `${value.byteLength} bytes` : value,
    'pass a secret KeyObject or at least 32 random bytes (crypto.randomBytes(32)).',
  );
}

function client(name: string, value: OAuthClientOptions): OAuthClientOptions {
  if (typeof value !== 'object' || value === null)
    throw configError(packageName, `providers.${name}`, value, 'pass { clientId, clientSecret }.');
  if (typeof value.clientId !== 'string' || value.clientId === '')
    throw configError(packageName, `providers.${name}.clientId`, value.clientId, 'pass the client id.');
  if (typeof value.clientSecret !== 'string' || value.clientSecret === '')
    throw configError(packageName, `providers.${name}.clientSecret`, '(hidden)', 'pass the client secret.');
  if (value.baseUrl !== undefined) httpUrl(`providers.${name}.baseUrl`, value.baseUrl, false);
  for (const [endpoint, url] of Object.entries(value.endpoints ?? {}))
    if (url !== undefined) httpUrl(`providers.${name}.endpoints.${endpoint}`, url, false);
  if (
    value.scope !== undefined &&
    (!Array.isArray(value.scope) || value.scope.some((s) => typeof s !== 'string'))
  )
    throw configError(packageName, `providers.${name}.scope`, value.scope, 'pass an array of scope strings.');
  return { ...value, ...(value.scope ? { scope: value.scope.map(String) } : {}) };
}

function oidc(name: string, kind: OidcName | 'generic', value: OidcClientOptions): ParsedOidc {
  if (typeof value !== 'object' || value === null)
    throw configError(packageName, `providers.${name}`, value, 'pass { clientId, clientSecret }.');
  if (kind === 'generic' && value.issuer === undefined)
    throw configError(
      packageName,
      `providers.${name}.issuer`,
      value.issuer,
      'pass the issuer URL, such as "https://keycloak.example.com/realms/main".',
    );
  if (typeof value.clientId !== 'string' || value.clientId === '')
    throw configError(packageName, `providers.${name}.clientId`, value.clientId, 'pass the client id.');
  if (typeof value.clientSecret !== 'string' || value.clientSecret === '')
    throw configError(packageName, `providers.${name}.clientSecret`, '(hidden)', 'pass the client secret.');
  const defaults = kind === 'generic' ? genericDefaults : oidcDefaults[kind];
  const issuer =
    value.issuer === undefined
      ? defaults.issuer
      : httpUrl(`providers.${name}.issuer`, value.issuer, false).replace(/\/+$/, '');
  const scope = value.scope ?? defaults.scope;
  if (!Array.isArray(scope) || scope.some((s) => typeof s !== 'string') || !scope.includes('openid'))
    throw configError(
      packageName,
      `providers.${name}.scope`,
      scope,
      'pass an array of scope strings that includes "openid".',
    );
  return {
    kind,
    clientId: value.clientId,
    clientSecret: value.clientSecret,
    issuer,
    scope: scope.map(String),
  };
}

function telegramWidget(value: TelegramWidgetOptions): ParsedOptions['telegram'] {
  const botId =
    typeof value?.botToken === 'string' ? /^(\d+):[\w-]{20,}$/.exec(value.botToken)?.[1] : undefined;
  if (!botId)
    throw configError(
      packageName,
      'providers.telegram.botToken',
      '(hidden)',
      'pass the token @BotFather gave (123456:ABC...).',
    );
  if (value.baseUrl !== undefined) httpUrl('providers.telegram.baseUrl', value.baseUrl, false);
  const maxAgeSeconds = positiveInteger(
    packageName,
    'providers.telegram.maxAgeSeconds',
    value.maxAgeSeconds,
    3600,
  );
  if (maxAgeSeconds > 86_400)
    throw configError(
      packageName,
      'providers.telegram.maxAgeSeconds',
      maxAgeSeconds,
      'pass at most 86400 (one day).',
    );
  return { ...value, maxAgeSeconds, botId };
}

/** OpenID Connect unless the legacy widget is asked for by name; a bare bot token is a mistake, not a choice. */
function telegram(value: unknown): Pick<ParsedOptions, 'telegram'> & { oidc?: ParsedOidc } {
  if (typeof value === 'object' && value !== null && 'legacyWidget' in value) {
    if (value.legacyWidget !== true)
      throw configError(
        packageName,
        'providers.telegram.legacyWidget',
        value.legacyWidget,
        'pass true to use the legacy Login Widget, or leave it out for OpenID Connect.',
      );
    return { telegram: telegramWidget(value as TelegramWidgetOptions) };
  }
  if (typeof value === 'object' && value !== null && 'botToken' in value)
    throw configError(
      packageName,
      'providers.telegram.botToken',
      '(hidden)',
      'Telegram sign-in is OpenID Connect: pass { clientId, clientSecret } from @BotFather (Bot Settings, Web Login). To keep the weaker legacy widget, pass { legacyWidget: true, botToken }.',
    );
  return { telegram: undefined, oidc: oidc('telegram', 'telegram', value as OidcClientOptions) };
}

/** Validates once, at start-up; never changes the caller's object. */
const optionNames: OptionNames<OAuthProvidersOptions> = {
  publicOrigin: true,
  providers: true,
  stateKey: true,
  onProfile: true,
  basePath: true,
  secure: true,
  store: true,
  fetch: true,
  timeoutMs: true,
  jwksRefreshMs: true,
  stateTtlMs: true,
  successRedirect: true,
  clock: true,
  logger: true,
  onRefused: true,
};

export function parseOptions(options: Readonly<OAuthProvidersOptions>): ParsedOptions {
  checkOptionNames(packageName, 'oauthProviders()', options, optionNames, {
    hints: { origin: 'publicOrigin', secret: 'stateKey', callbackURL: 'basePath', handler: 'onRefused' },
  });
  if (typeof options !== 'object' || options === null)
    throw configError(
      packageName,
      'options',
      options,
      'pass { publicOrigin, providers, stateKey, onProfile }.',
    );
  const origin = httpUrl('publicOrigin', options.publicOrigin, true);
  if (typeof options.onProfile !== 'function')
    throw configError(
      packageName,
      'onProfile',
      options.onProfile,
      'pass an async (profile, req, res) => {...}.',
    );
  const basePath = options.basePath ?? '/api/auth/oauth';
  if (typeof basePath !== 'string' || !/^(\/[\w.-]+)+$/.test(basePath))
    throw configError(packageName, 'basePath', basePath, 'pass a path such as "/api/auth/oauth".');
  const successRedirect = options.successRedirect ?? '/';
  if (
    typeof successRedirect !== 'string' ||
    !successRedirect.startsWith('/') ||
    successRedirect.startsWith('//')
  )
    throw configError(
      packageName,
      'successRedirect',
      successRedirect,
      'pass a path on this site such as "/".',
    );

  const providers = options.providers ?? {};
  const clients: ParsedOptions['clients'] = {};
  for (const name of oauthNames) {
    const value = providers[name];
    if (value !== undefined) clients[name] = client(name, value);
  }
  const unknown = Object.keys(providers).filter((n) => ![...builtIn, 'oidc'].includes(n));
  if (unknown.length > 0)
    throw configError(
      packageName,
      'providers',
      unknown,
      'use google, github, vk, yandex, telegram, or oidc for any other OpenID provider.',
    );
  const oidcClients: ParsedOptions['oidc'] = genericProviders(providers.oidc);
  if (providers.google !== undefined) oidcClients.google = oidc('google', 'google', providers.google);
  const tg = providers.telegram === undefined ? { telegram: undefined } : telegram(providers.telegram);
  if (tg.oidc) oidcClients.telegram = tg.oidc;
  if (Object.keys(clients).length === 0 && Object.keys(oidcClients).length === 0 && !tg.telegram)
    throw configError(packageName, 'providers', providers, 'configure at least one provider.');

  const ownStore = options.store ? undefined : memoryStore({ clock: options.clock ?? systemClock });
  return {
    origin,
    basePath,
    clients,
    oidc: oidcClients,
    telegram: tg.telegram,
    jwksRefreshMs: positiveInteger(packageName, 'jwksRefreshMs', options.jwksRefreshMs, 60_000),
    key: stateKey(options.stateKey),
    secure: options.secure ?? true,
    store: prefixedStore(options.store ?? ownStore!, 'oauth:'),
    ownStore,
    fetch: options.fetch ?? globalThis.fetch,
    timeoutMs: positiveInteger(packageName, 'timeoutMs', options.timeoutMs, 10_000),
    stateTtlMs: positiveInteger(packageName, 'stateTtlMs', options.stateTtlMs, 600_000),
    successRedirect,
    clock: options.clock ?? systemClock,
    logger: options.logger ?? silentLogger,
    onProfile: options.onProfile,
    refuse: refusals(packageName, options.onRefused),
  };
}

/** The exact redirect URI registered at the provider: from the configured origin, never the Host header. */
export function callbackUrl(config: ParsedOptions, name: ProviderName): string {
  return `${config.origin}${config.basePath}/${name}/callback`;
}
