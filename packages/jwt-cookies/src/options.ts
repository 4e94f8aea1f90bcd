import {
  checkOptionNames,
  configError,
  memoryStore,
  oneOf,
  positiveInteger,
  prefixedStore,
  silentLogger,
  systemClock,
  type Clock,
  type Logger,
  type OnRefused,
  type OptionNames,
  type Store,
} from '@shieldwall/core';
import { keyRing, type KeyRing, type SigningKey } from './keys.js';

export const packageName = '@shieldwall/jwt-cookies';

export interface JwtCookiesOptions {
  /** Signing secrets, at least 32 bytes each; the first signs, all verify (rotation by `kid`). Required. */
  keys: readonly SigningKey[];
  /**
   * Whether cookies are `Secure` and carry the `__Host-` / `__Secure-` prefixes. Pass true in production; false
   * only for development over plain HTTP. Defaults to true.
   */
  secure?: boolean;
  /** The `iss` claim written and required. Defaults to "shieldwall". */
  issuer?: string;
  /** The `aud` claim written and required. Defaults to "shieldwall". */
  audience?: string;
  /** Access token lifetime in seconds. Defaults to 1200 (20 minutes). */
  accessTtlSeconds?: number;
  /** Refresh token lifetime in seconds. Defaults to 259200 (72 hours). */
  refreshTtlSeconds?: number;
  /** Absolute lifetime of a refresh family (a sign-in), however often it refreshes. Defaults to 2592000 (30 days). */
  familyLifetimeSeconds?: number;
  /**
   * How long the token just rotated away may still be refreshed (concurrent refreshes from one client); outside
   * this window its reuse revokes the family. 0 turns the grace off. Defaults to 10.
   */
  refreshGraceSeconds?: number;
  /** Clock skew allowed when checking `exp` / `nbf`, in seconds. Defaults to 5. */
  clockToleranceSeconds?: number;
  /** SameSite for both cookies. Defaults to "lax". "none" requires `secure`. */
  sameSite?: 'lax' | 'strict' | 'none';
  /** The path the refresh cookie is scoped to: where the refresh and logout routes live. Defaults to "/api/auth". */
  refreshPath?: string;
  /** Cookie base names (prefixes are added when `secure`). Defaults to { access: "at", refresh: "rt" }. */
  cookieNames?: { access?: string; refresh?: string };
  /** Where `requireAuth` puts the access claims. Defaults to "auth" (`res.locals.auth`). */
  localsKey?: string;
  /** Refresh families; Redis in a deployment of several instances. Defaults to a bounded in-memory store. */
  store?: Store;
  /** Prefix of every key in the store. Defaults to "jwt:". */
  storePrefix?: string;
  /** Defaults to the system clock. */
  clock?: Clock;
  /** Reuse detection is logged here (ids only, never tokens). Defaults to a silent logger. */
  logger?: Logger;
  /**
   * Takes over the 401 refusals of `requireAuth` and `refresh`: `(error, req, res, next)` with `error.code`.
   * Defaults to sending the JSON envelope, so no error handler is needed.
   */
  onRefused?: OnRefused;
  /**
   * Makes `requireAuth` check that the access token's session is still live (not logged out, not ended by
   * `revokeUser`), so revocation does not wait for the access token to expire. Each check reads the store through
   * a local cache: a revocation takes effect at once on the instance that made it and within `cacheMs` on every
   * other instance. `{ cacheMs = 5000, maxCached = 10000 }`, or false. Defaults to false (access tokens are
   * trusted until they expire, up to `accessTtlSeconds`).
   */
  sessionCheck?: false | { cacheMs?: number; maxCached?: number };
}

export interface ResolvedOptions {
  ring: KeyRing;
  secure: boolean;
  issuer: string;
  audience: string;
  accessTtl: number;
  refreshTtl: number;
  familyLifetime: number;
  graceMs: number;
  tolerance: number;
  sameSite: 'lax' | 'strict' | 'none';
  refreshPath: string;
  accessName: string;
  refreshName: string;
  localsKey: string;
  store: Store;
  ownStore: Store | undefined;
  clock: Clock;
  logger: Logger;
  /** Undefined when access tokens are not checked against the store. */
  sessionCheck: { cacheMs: number; maxCached: number } | undefined;
}

export const optionNames: OptionNames<JwtCookiesOptions> = {
  keys: true,
  secure: true,
  issuer: true,
  audience: true,
  accessTtlSeconds: true,
  refreshTtlSeconds: true,
  familyLifetimeSeconds: true,
  refreshGraceSeconds: true,
  clockToleranceSeconds: true,
  sameSite: true,
  refreshPath: true,
  cookieNames: true,
  localsKey: true,
  store: true,
  storePrefix: true,
  clock: true,
  logger: true,
  sessionCheck: true,
  onRefused: true,
};

// Names from jsonwebtoken and express-jwt, which people bring with them.
export const optionHints: Readonly<Record<string, string>> = {
  secret: 'keys',
  secretOrPrivateKey: 'keys',
  key: 'keys',
  expiresIn: 'accessTtlSeconds',
  clockTolerance: 'clockToleranceSeconds',
  requestProperty: 'localsKey',
};

const cookieName = /^[A-Za-z0-9_-]{1,64}$/;

function nonNegative(option: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0)
    throw configError(packageName, option, value, 'pass a whole number of seconds, 0 or more.');
  return value;
}

function nonNegativeMs(option: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0)
    throw configError(packageName, option, value, 'pass a whole number of milliseconds, 0 or more.');
  return value;
}

function text(option: string, value: unknown, fallback: string): string {
  if (value === undefined) return fallback;
  if (typeof value !== 'string' || value.length === 0)
    throw configError(packageName, option, value, 'pass a non-empty string.');
  return value;
}

export function resolveOptions(options: Readonly<JwtCookiesOptions>): ResolvedOptions {
  const ring = keyRing(options.keys);
  const secure = options.secure ?? true;
  if (typeof secure !== 'boolean')
    throw configError(
      packageName,
      'secure',
      secure,
      'pass true in production, false for plain-HTTP development.',
    );
  const sameSite = oneOf(
    packageName,
    'sameSite',
    options.sameSite,
    ['lax', 'strict', 'none'] as const,
    'lax',
  );
  if (sameSite === 'none' && !secure)
    throw configError(packageName, 'sameSite', sameSite, 'SameSite=None needs secure: true.');
  const refreshPath = text('refreshPath', options.refreshPath, '/api/auth');
  if (!/^\/[A-Za-z0-9._~\-/]*$/.test(refreshPath))
    throw configError(packageName, 'refreshPath', refreshPath, 'pass an absolute path such as "/api/auth".');
  checkOptionNames<{ access?: string; refresh?: string }>(
    packageName,
    'jwtCookies({ cookieNames })',
    options.cookieNames,
    { access: true, refresh: true },
  );
  const names = { access: 'at', refresh: 'rt', ...options.cookieNames };
  for (const [which, name] of Object.entries(names))
    if (typeof name !== 'string' || !cookieName.test(name) || name.startsWith('__'))
      throw configError(
        packageName,
        `cookieNames.${which}`,
        name,
        'pass a plain token such as "at" (prefixes are added).',
      );
  const accessTtl = positiveInteger(packageName, 'accessTtlSeconds', options.accessTtlSeconds, 1200);
  const refreshTtl = positiveInteger(packageName, 'refreshTtlSeconds', options.refreshTtlSeconds, 259200);
  const familyLifetime = positiveInteger(
    packageName,
    'familyLifetimeSeconds',
    options.familyLifetimeSeconds,
    2592000,
  );
  if (refreshTtl <= accessTtl)
    throw configError(packageName, 'refreshTtlSeconds', refreshTtl, 'make it longer than accessTtlSeconds.');
  if (familyLifetime < refreshTtl)
    throw configError(
      packageName,
      'familyLifetimeSeconds',
      familyLifetime,
      'make it at least refreshTtlSeconds.',
    );
  const grace = nonNegative('refreshGraceSeconds', options.refreshGraceSeconds, 10);
  if (grace > 300)
    throw configError(packageName, 'refreshGraceSeconds', grace, 'keep it short: at most 300.');
  const tolerance = nonNegative('clockToleranceSeconds', options.clockToleranceSeconds, 5);
  if (tolerance > 300)
    throw configError(packageName, 'clockToleranceSeconds', tolerance, 'keep it small: at most 300.');
  let sessionCheck: ResolvedOptions['sessionCheck'];
  if (options.sessionCheck !== undefined && options.sessionCheck !== false) {
    if (typeof options.sessionCheck !== 'object' || options.sessionCheck === null)
      throw configError(
        packageName,
        'sessionCheck',
        options.sessionCheck,
        'pass { cacheMs, maxCached }, {} for the defaults, or false.',
      );
    checkOptionNames<{ cacheMs?: number; maxCached?: number }>(
      packageName,
      'jwtCookies({ sessionCheck })',
      options.sessionCheck,
      { cacheMs: true, maxCached: true },
    );
    const cacheMs = nonNegativeMs('sessionCheck.cacheMs', options.sessionCheck.cacheMs, 5000);
    if (cacheMs > accessTtl * 1000)
      throw configError(packageName, 'sessionCheck.cacheMs', cacheMs, 'keep it below accessTtlSeconds.');
    sessionCheck = {
      cacheMs,
      maxCached: positiveInteger(
        packageName,
        'sessionCheck.maxCached',
        options.sessionCheck.maxCached,
        10_000,
      ),
    };
  }
  const clock = options.clock ?? systemClock;
  const ownStore = options.store ? undefined : memoryStore({ clock });
  const store = prefixedStore(options.store ?? ownStore!, text('storePrefix', options.storePrefix, 'jwt:'));
  return {
    ring,
    secure,
    issuer: text('issuer', options.issuer, 'shieldwall'),
    audience: text('audience', options.audience, 'shieldwall'),
    accessTtl,
    refreshTtl,
    familyLifetime,
    graceMs: grace * 1000,
    tolerance,
    sameSite,
    refreshPath,
    accessName: secure ? `__Host-${names.access}` : names.access,
    refreshName: secure ? `__Secure-${names.refresh}` : names.refresh,
    localsKey: text('localsKey', options.localsKey, 'auth'),
    store,
    ownStore,
    clock,
    logger: options.logger ?? silentLogger,
    sessionCheck,
  };
}
