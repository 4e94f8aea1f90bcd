import { join } from 'node:path';
import { developmentSecrets } from './dev-secrets.js';
import { messagesConfig, type MessagesConfig } from './messages.js';
import { redisConfig, type RedisConfig } from './redis.js';
import { keyedSecrets, list, origin, port, positiveInt, Problems, url, type Env } from './parse.js';

export { ConfigProblems } from './parse.js';
export type { Env } from './parse.js';

export type CaptchaProvider = 'recaptcha' | 'recaptcha-enterprise' | 'hcaptcha' | 'turnstile';
export const captchaProviders: readonly CaptchaProvider[] = [
  'recaptcha',
  'recaptcha-enterprise',
  'hcaptcha',
  'turnstile',
];

export interface OAuthClientConfig {
  clientId: string;
  clientSecret: string;
  /** Overrides the provider's endpoints (tests point it at loopback). */
  baseUrl?: string;
}

export interface Config {
  nodeEnv: 'development' | 'production' | 'test';
  production: boolean;
  port: number;
  publicOrigin: string;
  corsOrigins: string[];
  /** Express's trust proxy value, or 'cloudflare'. */
  trustProxy: boolean | number | string;
  /** REDIS_URL's seed node(s); `cluster` for a Redis Cluster (several URLs, or REDIS_CLUSTER=1). */
  redis?: RedisConfig;
  /** PostgreSQL (postgres:// or postgresql://); without it, PGlite under `pgliteDir` (in memory when unset). */
  databaseUrl?: string;
  /** `<DATA_DIR>/pglite`; unset under NODE_ENV=test without DATA_DIR, so tests write nothing to disk. */
  pgliteDir?: string;
  /** DATABASE_POOL_MAX: connections per instance (10). */
  databasePoolMax: number;
  /** DATABASE_TIMEOUT_MS: statement, lock and connect timeout (5000): past it, 503 store_unavailable. */
  databaseTimeoutMs: number;
  /** First signs, all verify. */
  jwtSecrets: Array<{ id: string; key: Buffer }>;
  /** First encrypts, all decrypt. */
  walletKeks: Array<{ id: string; key: Buffer }>;
  /**
   * `scriptUrl` (CAPTCHA_SCRIPT_URL) replaces the provider's widget script, as CAPTCHA_VERIFY_URL replaces its
   * verification endpoint (tests point both at loopback); the page CSP then allows that origin instead.
   */
  captcha?: {
    provider: CaptchaProvider;
    secret: string;
    verifyUrl?: string;
    siteKey?: string;
    scriptUrl?: string;
  };
  oauth: {
    google?: OAuthClientConfig;
    github?: OAuthClientConfig;
    vk?: OAuthClientConfig;
    yandex?: OAuthClientConfig;
    /**
     * OpenID Connect (OAUTH_TELEGRAM_CLIENT_ID, _CLIENT_SECRET, _BASE_URL as the issuer), or the weaker legacy
     * Login Widget when only OAUTH_TELEGRAM_BOT_TOKEN is set.
     */
    telegram?: OAuthClientConfig | { legacyWidget: true; botToken: string; baseUrl?: string };
  };
  /** The CSP policy version in report-uri (002: bump it when the allowlist changes). */
  cspVersion: number;
  frameOptions: 'DENY' | 'SAMEORIGIN';
  /** Where development secrets are kept (git-ignored). */
  dataDir: string;
  /** MOBILE_APP_KEYS_FILE: the JSON registry of mobile app versions and their sealed keys (@shieldwall/key-exchange). */
  mobileAppKeysFile?: string;
  /** APP_VERSIONS_REFRESH_MS: how often each instance re-reads the app-version registry from the database (5000). */
  appVersionsRefreshMs: number;
  /** E-mail (SMTP_URL, MAIL_FROM), SMS (SMS_PROVIDER, TWILIO_*, SMS_ROUTES) and the outbox (config/messages.ts). */
  messages: MessagesConfig;
  /** SHUTDOWN_TIMEOUT_MS: how long SIGTERM waits for requests in flight before cutting them (10000). */
  shutdownTimeoutMs: number;
  /** bcrypt cost: 12 unless BCRYPT_COST says otherwise (4 to 31 outside production, 12 to 31 in production). */
  bcryptCost: number;
}

function trustProxy(raw: string | undefined, production: boolean, problems: Problems): Config['trustProxy'] {
  if (raw === undefined || raw === '' || raw === 'false') {
    // The app speaks plain HTTP: in production TLS ends at a proxy, and without trusting it every request looks
    // like plain HTTP and the HTTPS redirect answers 301 forever.
    if (production)
      problems.add(
        'TRUST_PROXY is required in production: the app serves plain HTTP behind your TLS proxy, and without trusting that proxy every request is redirected to HTTPS forever. Set it to the proxy (loopback, 10.0.0.0/8, a hop count such as 1) or cloudflare; see docs/deployment/proxies-and-cloudflare.md',
      );
    return false;
  }
  if (raw === 'true') return true;
  if (raw === 'cloudflare') return 'cloudflare';
  if (/^\d+$/.test(raw)) return Number(raw);
  if (/^[0-9a-fA-F:.,/\s]+$|^(loopback|linklocal|uniquelocal)(,|$)/.test(raw)) return raw;
  problems.add(
    'TRUST_PROXY must be false, true, a hop count, addresses/subnets, loopback|linklocal|uniquelocal, or cloudflare',
  );
  return false;
}

function oauthClient(env: Env, provider: string, problems: Problems): OAuthClientConfig | undefined {
  const clientId = env[`OAUTH_${provider}_CLIENT_ID`];
  const clientSecret = env[`OAUTH_${provider}_CLIENT_SECRET`];
  const baseUrl = url(env, `OAUTH_${provider}_BASE_URL`, problems);
  if (!clientId && !clientSecret) return undefined;
  if (!clientId || !clientSecret) {
    problems.add(`OAUTH_${provider}_CLIENT_ID and OAUTH_${provider}_CLIENT_SECRET must be set together`);
    return undefined;
  }
  return baseUrl ? { clientId, clientSecret, baseUrl } : { clientId, clientSecret };
}

/**
 * Reads and validates the whole configuration once, at start. In production every secret is required and a bad
 * value stops the start with one line per problem; in development missing secrets are generated and kept in a
 * git-ignored data folder, and nothing else is needed.
 */
export function loadConfig(env: Env, options: { persistDevSecrets?: boolean } = {}): Config {
  const problems = new Problems();
  const rawEnv = env.NODE_ENV ?? 'development';
  const nodeEnv = rawEnv === 'production' || rawEnv === 'test' ? rawEnv : 'development';
  if (rawEnv !== nodeEnv) problems.add('NODE_ENV must be development, test or production');
  const production = nodeEnv === 'production';

  const listenPort = port(env, 'PORT', 3000, problems);
  const publicOrigin =
    (env.PUBLIC_ORIGIN ? origin(env.PUBLIC_ORIGIN, 'PUBLIC_ORIGIN', problems) : undefined) ??
    `http://localhost:${listenPort}`;
  if (production && !env.PUBLIC_ORIGIN)
    problems.add('PUBLIC_ORIGIN is required in production (e.g. https://app.example.com)');
  if (production && publicOrigin.startsWith('http:'))
    problems.add('PUBLIC_ORIGIN must be https in production');

  const corsOrigins = list(env.CORS_ORIGINS)
    .map((value) => origin(value, 'CORS_ORIGINS', problems))
    .filter((value): value is string => value !== undefined);

  const dataDir = env.DATA_DIR ?? '.data';
  const needDevSecrets = !production && (!env.JWT_SECRETS || !env.WALLET_KEKS);
  const dev = needDevSecrets
    ? developmentSecrets(dataDir, options.persistDevSecrets ?? nodeEnv === 'development')
    : undefined;

  let jwtSecrets = keyedSecrets(env, 'JWT_SECRETS', { minBytes: 32 }, problems);
  if (jwtSecrets.length === 0) {
    if (production)
      problems.add(
        'JWT_SECRETS is required in production: id:base64 entries of at least 32 bytes, first signs',
      );
    else jwtSecrets = dev!.jwtSecrets;
  }
  let walletKeks = keyedSecrets(env, 'WALLET_KEKS', { minBytes: 32, exactBytes: 32 }, problems);
  if (walletKeks.length === 0) {
    if (production)
      problems.add(
        'WALLET_KEKS is required in production: id:base64 entries of exactly 32 bytes, first encrypts',
      );
    else walletKeks = dev!.walletKeks;
  }

  let captcha: Config['captcha'];
  const provider = env.CAPTCHA_PROVIDER;
  if (provider) {
    if (!(captchaProviders as readonly string[]).includes(provider)) {
      problems.add(`CAPTCHA_PROVIDER must be one of ${captchaProviders.join(', ')}`);
    } else if (!env.CAPTCHA_SECRET) {
      problems.add('CAPTCHA_SECRET is required when CAPTCHA_PROVIDER is set');
    } else if (production && !env.CAPTCHA_SITE_KEY) {
      // Without it the sign-up and reset pages render a widget the provider refuses: nobody could register.
      problems.add(
        'CAPTCHA_SITE_KEY is required in production when CAPTCHA_PROVIDER is set (the sign-up and reset pages render the widget with it)',
      );
    } else {
      const verifyUrl = url(env, 'CAPTCHA_VERIFY_URL', problems);
      const scriptUrl = url(env, 'CAPTCHA_SCRIPT_URL', problems);
      captcha = {
        provider: provider as CaptchaProvider,
        secret: env.CAPTCHA_SECRET,
        ...(verifyUrl ? { verifyUrl } : {}),
        ...(env.CAPTCHA_SITE_KEY ? { siteKey: env.CAPTCHA_SITE_KEY } : {}),
        ...(scriptUrl ? { scriptUrl } : {}),
      };
    }
  } else if (production) {
    problems.add(
      'CAPTCHA_PROVIDER and CAPTCHA_SECRET are required in production (registration and SMS are gated)',
    );
  }

  const oauth: Config['oauth'] = {};
  for (const [key, name] of [
    ['google', 'GOOGLE'],
    ['github', 'GITHUB'],
    ['vk', 'VK'],
    ['yandex', 'YANDEX'],
  ] as const) {
    const client = oauthClient(env, name, problems);
    if (client) oauth[key] = client;
  }
  const telegram = oauthClient(env, 'TELEGRAM', problems);
  if (telegram && env.OAUTH_TELEGRAM_BOT_TOKEN) {
    problems.add(
      'OAUTH_TELEGRAM_BOT_TOKEN (legacy widget) and OAUTH_TELEGRAM_CLIENT_ID (OpenID Connect) exclude each other; keep the client id and secret',
    );
  } else if (telegram) {
    oauth.telegram = telegram;
  } else if (env.OAUTH_TELEGRAM_BOT_TOKEN) {
    const baseUrl = url(env, 'OAUTH_TELEGRAM_BASE_URL', problems);
    oauth.telegram = {
      legacyWidget: true,
      botToken: env.OAUTH_TELEGRAM_BOT_TOKEN,
      ...(baseUrl ? { baseUrl } : {}),
    };
  }

  // Tests lower the cost to stay fast; production may only raise it.
  const bcryptCost = positiveInt(env, 'BCRYPT_COST', 12, problems);
  if (bcryptCost > 31 || bcryptCost < (production ? 12 : 4))
    problems.add(`BCRYPT_COST must be a whole number from ${production ? 12 : 4} to 31`);

  if (env.DATABASE_URL && !/^postgres(ql)?:\/\/[^\s]+$/.test(env.DATABASE_URL))
    problems.add('DATABASE_URL must be a postgres:// or postgresql:// URL (unset: PGlite under DATA_DIR)');
  const databasePoolMax = positiveInt(env, 'DATABASE_POOL_MAX', 10, problems);
  if (databasePoolMax > 1000) problems.add('DATABASE_POOL_MAX must be a whole number from 1 to 1000');
  const appVersionsRefreshMs = positiveInt(env, 'APP_VERSIONS_REFRESH_MS', 5000, problems);
  if (appVersionsRefreshMs < 100 || appVersionsRefreshMs > 300_000)
    problems.add('APP_VERSIONS_REFRESH_MS must be a whole number of milliseconds from 100 to 300000');
  const databaseTimeoutMs = positiveInt(env, 'DATABASE_TIMEOUT_MS', 5000, problems);
  if (databaseTimeoutMs < 100 || databaseTimeoutMs > 600_000)
    problems.add('DATABASE_TIMEOUT_MS must be a whole number of milliseconds from 100 to 600000');
  const shutdownTimeoutMs = positiveInt(env, 'SHUTDOWN_TIMEOUT_MS', 10_000, problems);
  if (shutdownTimeoutMs > 600_000)
    problems.add('SHUTDOWN_TIMEOUT_MS must be a whole number of milliseconds up to 600000');
  const pgliteDir = nodeEnv === 'test' && env.DATA_DIR === undefined ? undefined : join(dataDir, 'pglite');

  const frameOptions = (env.X_FRAME_OPTIONS ?? 'DENY').toUpperCase();
  if (frameOptions !== 'DENY' && frameOptions !== 'SAMEORIGIN')
    problems.add('X_FRAME_OPTIONS must be DENY or SAMEORIGIN');

  const config: Config = {
    nodeEnv,
    production,
    port: listenPort,
    publicOrigin,
    corsOrigins,
    trustProxy: trustProxy(env.TRUST_PROXY, production, problems),
    jwtSecrets,
    walletKeks,
    oauth,
    cspVersion: positiveInt(env, 'CSP_VERSION', 1, problems),
    frameOptions: frameOptions === 'SAMEORIGIN' ? 'SAMEORIGIN' : 'DENY',
    dataDir,
    bcryptCost,
    messages: messagesConfig(env, { production, nodeEnv, dataDir }, problems),
    ...redisConfig(env, problems),
    ...(env.DATABASE_URL ? { databaseUrl: env.DATABASE_URL } : {}),
    ...(pgliteDir !== undefined ? { pgliteDir } : {}),
    databasePoolMax,
    databaseTimeoutMs,
    shutdownTimeoutMs,
    ...(env.MOBILE_APP_KEYS_FILE ? { mobileAppKeysFile: env.MOBILE_APP_KEYS_FILE } : {}),
    appVersionsRefreshMs,
    ...(captcha ? { captcha } : {}),
  };
  problems.throwIfAny();
  return config;
}
