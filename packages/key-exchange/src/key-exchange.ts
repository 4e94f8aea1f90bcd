import { randomBytes } from 'node:crypto';
import type { Request, RequestHandler, Response } from 'express';
import {
  checkOptionNames,
  configError,
  memoryStore,
  positiveInteger,
  prefixedStore,
  refusals,
  silentLogger,
  systemClock,
  wrapAsync,
  type Clock,
  type Logger,
  type OnRefused,
  type OptionNames,
  type Store,
} from '@shieldwall/core';
import { createAppVersionRegistry, type AppVersionRegistry, type AppVersionsConfig } from './app-versions.js';
import { channelMiddleware, type ChannelOptions } from './channel.js';
import { createChannels } from './channels.js';
import type { KeyExchangeContext } from './context.js';
import { createCsrf, validateCsrfSecrets, type Csrf, type CsrfSecret } from './csrf.js';
import { packageName } from './errors.js';
import { createWebKeyRing, type WebKeyRing } from './key-ring.js';
import { ephemeralSealer, type SecretSealer } from './sealer.js';
import { sessionKeyHandler } from './session-key.js';

const day = 24 * 60 * 60 * 1000;

export interface KeyExchangeOptions {
  /** Where key rings, channels, ended sessions and replay ids live (prefixed `kx:`). Defaults to a `memoryStore()`. */
  store?: Store;
  /**
   * Seals the secrets kept in the store: RSA private keys and channel keys. Required when `store` is passed (a
   * shared store must never hold them in the clear); defaults to `ephemeralSealer()` with the default in-memory
   * store.
   */
  sealer?: SecretSealer;
  /** Defaults to the system clock. */
  clock?: Clock;
  /** Defaults to a silent logger. Logs ids only, never keys or tokens. */
  logger?: Logger;
  /**
   * Session cookie `Secure` with the `__Host-` prefix. Defaults to true; pass false only for plain-HTTP
   * development (the cookie is then named without the prefix).
   */
  secure?: boolean;
  /** The session cookie's name. Defaults to `__Host-sw-session` (secure) or `sw-session`. */
  cookieName?: string;
  /** How long a CSRF token (and the session cookie, renewed on each render) stays valid. Defaults to 14 days. */
  csrfMaxAgeMs?: number;
  /**
   * Keys that encrypt CSRF tokens: `{ id, key: 32 bytes }`, first encrypts, all decrypt. Pass the same list to
   * every instance. Defaults to one random key per process (a single instance only).
   */
  csrfSecrets?: readonly CsrfSecret[];
  /**
   * Origins, besides the request's own (protocol and Host), that a CSRF-checked request may come from when it
   * sends `Origin`: the public origin behind a TLS-terminating proxy, other front-ends. Defaults to none.
   */
  allowedOrigins?: readonly string[];
  /** How often a new web key pair is made. Defaults to 14 days. */
  rotateEveryMs?: number;
  /** How long each web key is accepted after it is made. Defaults to 30 days; must exceed `rotateEveryMs`. */
  keyLifetimeMs?: number;
  /** RSA modulus bits for web keys. Defaults to 2048 (the minimum). */
  modulusLength?: number;
  /** How long an idle channel lives; each use renews it (up to `channelMaxAgeMs`). Defaults to 14 days. */
  channelTtlMs?: number;
  /**
   * A channel's hard limit from its handshake, however much it is used; a web channel also ends when the web key
   * it was opened under stops being accepted. Defaults to 30 days.
   */
  channelMaxAgeMs?: number;
  /**
   * Live channels per web session (tabs, windows): a further handshake replaces the session's oldest channel.
   * Defaults to 8.
   */
  channelsPerSession?: number;
  /** How far an envelope's `iat` may be from the server's time. Defaults to 60 000 (60 s). */
  windowMs?: number;
  /** Largest encrypted request body. Defaults to 1 MiB. */
  maxBodyBytes?: number;
  /**
   * How deep arrays and objects may nest in a decrypted JSON body; deeper is 400 `json_too_deep`. Defaults to 32.
   */
  maxJsonDepth?: number;
  /** Mobile app versions and their keys. Defaults to none (every mobile handshake gets `unknown_app_version`). */
  appVersions?: AppVersionsConfig;
  /**
   * Instead of `appVersions`: a registry the app keeps current itself, asked on every handshake and every channel
   * request, so a minimum version or a revocation it learns (from a database, say) applies without a restart.
   * Build each state with `createAppVersionRegistry`. Not together with `appVersions`.
   */
  appVersionRegistry?: AppVersionRegistry;
  /**
   * Takes over the refusals (400 `invalid_envelope`, 403 `csrf_invalid`, 413, 415, 426 `upgrade_required`, ...):
   * `(error, req, res, next)` with `error.status` and `error.code`. Defaults to sending the JSON envelope, so no
   * error handler is needed; call `next(error)` to hand them to yours.
   */
  onRefused?: OnRefused;
}

const optionNames: OptionNames<KeyExchangeOptions> = {
  store: true,
  sealer: true,
  clock: true,
  logger: true,
  secure: true,
  cookieName: true,
  csrfMaxAgeMs: true,
  csrfSecrets: true,
  allowedOrigins: true,
  channelMaxAgeMs: true,
  channelsPerSession: true,
  rotateEveryMs: true,
  keyLifetimeMs: true,
  modulusLength: true,
  channelTtlMs: true,
  windowMs: true,
  maxBodyBytes: true,
  maxJsonDepth: true,
  appVersions: true,
  appVersionRegistry: true,
  onRefused: true,
};

export interface KeyExchange {
  /** Middleware for pages: ensures the session cookie and sets `res.locals.csrfToken` to a fresh token. */
  csrfToken: RequestHandler;
  /** Middleware: 403 `csrf_invalid` unless Fetch Metadata, Origin and `X-CSRF-Token` check out. */
  requireCsrf: RequestHandler;
  /** GET handler: the current web public key as a JWK (mount it after `requireCsrf`). */
  publicKey: RequestHandler;
  /** POST handler: establishes a channel (checks CSRF itself for web clients). */
  sessionKey: RequestHandler;
  /** Middleware that opens encrypted requests and seals JSON responses. */
  channel(options?: Readonly<ChannelOptions>): RequestHandler;
  /** `channel({ required: true })`, built once. */
  requireChannel: RequestHandler;
  /** The same middleware as `requireChannel`: 400 `encryption_required` for plaintext. */
  requireEncryption: RequestHandler;
  /** Ends the web session (for logout): its CSRF tokens and all its channels stop working at once. */
  endSession(req: Request): Promise<void>;
  /** Issues a token outside middleware (for a template helper). */
  issueCsrfToken(req: Request, res: Response): Promise<string>;
  keyRing: WebKeyRing;
  csrf: Csrf;
  appVersions: AppVersionRegistry | undefined;
}

/** The key exchange of DESIGN.md: CSRF tokens in pages, rotating RSA keys, per-app-version keys, the AES channel. */
export function keyExchange(options: Readonly<KeyExchangeOptions> = {}): KeyExchange {
  checkOptionNames(packageName, 'keyExchange()', options, optionNames, {
    hints: {
      origins: 'allowedOrigins',
      secrets: 'csrfSecrets',
      keySize: 'modulusLength',
      handler: 'onRefused',
    },
  });
  if (options.store && !options.sealer) {
    throw configError(
      packageName,
      'sealer',
      undefined,
      'pass a SecretSealer with a shared store (private keys are stored sealed).',
    );
  }
  const secure = options.secure ?? true;
  if (typeof secure !== 'boolean') throw configError(packageName, 'secure', secure, 'pass true or false.');
  const cookieName = options.cookieName ?? (secure ? '__Host-sw-session' : 'sw-session');
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(cookieName) || (cookieName.startsWith('__Host-') && !secure)) {
    throw configError(
      packageName,
      'cookieName',
      cookieName,
      'pass a token name; `__Host-` needs secure: true.',
    );
  }
  const rotateEveryMs = positiveInteger(packageName, 'rotateEveryMs', options.rotateEveryMs, 14 * day);
  const keyLifetimeMs = positiveInteger(packageName, 'keyLifetimeMs', options.keyLifetimeMs, 30 * day);
  if (keyLifetimeMs <= rotateEveryMs) {
    throw configError(
      packageName,
      'keyLifetimeMs',
      keyLifetimeMs,
      'pass more than rotateEveryMs, so the old key overlaps the new.',
    );
  }
  const modulusLength = positiveInteger(packageName, 'modulusLength', options.modulusLength, 2048);
  if (modulusLength < 2048)
    throw configError(packageName, 'modulusLength', modulusLength, 'pass 2048 or more.');
  const channelTtlMs = positiveInteger(packageName, 'channelTtlMs', options.channelTtlMs, 14 * day);
  const channelMaxAgeMs = positiveInteger(packageName, 'channelMaxAgeMs', options.channelMaxAgeMs, 30 * day);
  const channelsPerSession = positiveInteger(
    packageName,
    'channelsPerSession',
    options.channelsPerSession,
    8,
  );
  if (channelsPerSession > 64) {
    throw configError(packageName, 'channelsPerSession', channelsPerSession, 'pass 1 to 64.');
  }
  const windowMs = positiveInteger(packageName, 'windowMs', options.windowMs, 60_000);
  const maxBodyBytes = positiveInteger(packageName, 'maxBodyBytes', options.maxBodyBytes, 1024 * 1024);
  const maxJsonDepth = positiveInteger(packageName, 'maxJsonDepth', options.maxJsonDepth, 32);
  const csrfMaxAgeMs = positiveInteger(packageName, 'csrfMaxAgeMs', options.csrfMaxAgeMs, 14 * day);
  const allowedOrigins = options.allowedOrigins ? [...options.allowedOrigins] : undefined;
  if (allowedOrigins && !allowedOrigins.every((o) => typeof o === 'string' && /^https?:\/\/[^/]+$/.test(o))) {
    throw configError(
      packageName,
      'allowedOrigins',
      options.allowedOrigins,
      'pass origins such as "https://app.example.com".',
    );
  }

  const refuse = refusals(packageName, options.onRefused);
  const clock = options.clock ?? systemClock;
  const logger = options.logger ?? silentLogger;
  const store = prefixedStore(options.store ?? memoryStore({ clock }), 'kx:');
  const sealer = options.sealer ?? ephemeralSealer();
  const csrf = createCsrf({
    store,
    clock,
    secure,
    cookieName,
    maxAgeMs: csrfMaxAgeMs,
    secrets: validateCsrfSecrets(options.csrfSecrets) ?? [{ id: 'p', key: randomBytes(32) }],
    allowedOrigins,
  });
  const ring = createWebKeyRing({
    store,
    sealer,
    clock,
    logger,
    rotateEveryMs,
    keyLifetimeMs,
    modulusLength,
    lockTtlMs: 30_000,
  });
  const registry = options.appVersionRegistry;
  if (registry !== undefined) {
    if (options.appVersions !== undefined)
      throw configError(
        packageName,
        'appVersionRegistry',
        '(a registry)',
        'pass appVersions or appVersionRegistry, not both.',
      );
    if (
      typeof registry !== 'object' ||
      registry === null ||
      typeof registry.check !== 'function' ||
      typeof registry.privateKey !== 'function'
    )
      throw configError(
        packageName,
        'appVersionRegistry',
        registry,
        'pass { check(platform, version), privateKey(kid) } (createAppVersionRegistry builds one).',
      );
  }
  const apps = options.appVersions ? createAppVersionRegistry(options.appVersions, sealer) : registry;
  const ctx: KeyExchangeContext = {
    store,
    clock,
    logger,
    csrf,
    ring,
    apps,
    channels: createChannels({
      store,
      sealer,
      clock,
      logger,
      ttlMs: channelTtlMs,
      maxAgeMs: channelMaxAgeMs,
      perSession: channelsPerSession,
    }),
    envelopes: { clock, store, windowMs },
    maxBodyBytes,
    maxJsonDepth,
    channelTtlMs,
    refuse,
  };

  const requireChannel = channelMiddleware(ctx, true);
  const endSession = async (req: Request): Promise<void> => {
    const sid = csrf.sessionId(req);
    if (!sid) return;
    // A session leaves a trace in the store only once it has opened a channel (each one a rate-limited RSA
    // handshake), so that anonymous page loads and logouts cannot fill the store with ended-session markers.
    if (await ctx.channels.endSession(sid)) await csrf.endSession(sid);
  };
  return {
    csrfToken: wrapAsync(async function keyExchangeCsrfToken(req, res, next) {
      res.locals.csrfToken = await csrf.issue(req, res);
      next();
    }, refuse),
    requireCsrf: wrapAsync(async function keyExchangeRequireCsrf(req, res, next) {
      await csrf.verify(req, res);
      next();
    }, refuse),
    publicKey: wrapAsync(async function keyExchangePublicKey(_req, res) {
      const key = await ring.current();
      res.setHeader('Cache-Control', 'no-store');
      res.json(key);
    }, refuse),
    sessionKey: sessionKeyHandler(ctx),
    channel: (channelOptions = {}) =>
      channelOptions.required === false ? channelMiddleware(ctx, false) : requireChannel,
    requireChannel,
    requireEncryption: requireChannel,
    endSession,
    issueCsrfToken: (req, res) => csrf.issue(req, res),
    keyRing: ring,
    csrf,
    appVersions: apps,
  };
}

function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** Template helper: `<meta name="csrf-token" content="...">` for the token in `res.locals.csrfToken`. */
export function csrfMetaTag(res: Response): string {
  const token = (res.locals as { csrfToken?: unknown }).csrfToken;
  return typeof token === 'string' ? `<meta name="csrf-token" content="${escapeHtml(token)}">` : '';
}
