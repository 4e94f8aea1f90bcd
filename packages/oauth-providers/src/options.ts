import { createSecretKey, KeyObject } from 'node:crypto';
import {
  configError,
  memoryStore,
  positiveInteger,
  prefixedStore,
  rejectMiddlewareArguments,
  silentLogger,
  systemClock,
  type Clock,
  type Logger,
  type Store,
} from '@shieldwall/core';
import { packageName } from './errors.js';
import type {
  OAuthClientOptions,
  OAuthProvidersOptions,
  OAuthProviderName,
  TelegramOptions,
} from './types.js';

export interface ParsedOptions {
  origin: string;
  basePath: string;
  clients: Partial<Record<Exclude<OAuthProviderName, 'telegram'>, OAuthClientOptions>>;
  telegram: (TelegramOptions & { maxAgeSeconds: number; botId: string }) | undefined;
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
}

const oauthNames = ['google', 'github', 'vk', 'yandex'] as const;

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

function telegram(value: TelegramOptions): ParsedOptions['telegram'] {
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

/** Validates once, at start-up; never changes the caller's object. */
export function parseOptions(options: Readonly<OAuthProvidersOptions>): ParsedOptions {
  rejectMiddlewareArguments(packageName, 'oauthProviders', options);
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
  const unknown = Object.keys(providers).filter((n) => ![...oauthNames, 'telegram'].includes(n as never));
  if (unknown.length > 0)
    throw configError(packageName, 'providers', unknown, 'use google, github, vk, yandex or telegram.');
  const tg = providers.telegram === undefined ? undefined : telegram(providers.telegram);
  if (Object.keys(clients).length === 0 && !tg)
    throw configError(packageName, 'providers', providers, 'configure at least one provider.');

  const ownStore = options.store ? undefined : memoryStore({ clock: options.clock ?? systemClock });
  return {
    origin,
    basePath,
    clients,
    telegram: tg,
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
  };
}

/** The exact redirect URI registered at the provider: from the configured origin, never the Host header. */
export function callbackUrl(config: ParsedOptions, name: OAuthProviderName): string {
  return `${config.origin}${config.basePath}/${name}/callback`;
}
