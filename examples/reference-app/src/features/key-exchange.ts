import { createHash, hkdfSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { wrapAsync } from '@shieldwall/core';
import {
  keyExchange,
  type AppVersionsConfig,
  type KeyExchange,
  type SecretSealer,
} from '@shieldwall/key-exchange';
import { envelopeSealer } from '@shieldwall/wallet-crypto';
import type { RequestHandler } from 'express';
import { loadConfig, type Config } from '../config/index.js';
import { pagePaths } from '../pages/paths.js';
import type { Feature } from './feature.js';
import { sqlAppVersions } from '../db/app-versions.js';
import { liveAppVersions } from '../app-versions.js';

/** Where the page loads the browser client from (same origin: allowed by CSP `script-src 'self'`). */
export const keyExchangeClientPath = '/assets/key-exchange-client.js';

/** The sealer for RSA private keys: wallet-crypto's envelope under the WALLET_KEKS ring. */
export function keyExchangeSealer(config: Config): SecretSealer {
  return envelopeSealer({ keks: config.walletKeks });
}

/**
 * For `create-app-key --sealer-module <this file>` (the bin of @shieldwall/key-exchange): the same sealer the app opens
 * mobile keys with, from the environment (WALLET_KEKS, or the development secrets in DATA_DIR).
 */
export function createSealer(): SecretSealer {
  return keyExchangeSealer(loadConfig(process.env));
}

/** CSRF token keys, derived (HKDF) from JWT_SECRETS so that every instance shares them with no extra setting. */
function csrfSecrets(config: Config): Array<{ id: string; key: Uint8Array }> {
  return config.jwtSecrets.map(({ id, key }) => ({
    id: id.replace(/[^A-Za-z0-9_-]/g, '').slice(0, 32) || 'k',
    key: new Uint8Array(hkdfSync('sha256', key, 'shieldwall', 'key-exchange csrf token v1', 32)),
  }));
}

/** MOBILE_APP_KEYS_FILE, when set: a registry to merge into the database's at start (db/app-versions.ts). */
function mobileRegistryFile(config: Config): AppVersionsConfig | undefined {
  if (!config.mobileAppKeysFile) return undefined;
  try {
    return JSON.parse(readFileSync(config.mobileAppKeysFile, 'utf8')) as AppVersionsConfig;
  } catch (error) {
    throw new Error(
      `MOBILE_APP_KEYS_FILE (${config.mobileAppKeysFile}) could not be read as JSON: ${(error as Error).message}`,
    );
  }
}

let bundle: Promise<string> | undefined;
let bundleETag: string | undefined;

/** Bundles `@shieldwall/key-exchange/client` (and jose) for the browser once per process, on first request. */
function browserClient(): Promise<string> {
  bundle ??= import('esbuild')
    .then((esbuild) =>
      esbuild.build({
        entryPoints: [require.resolve('@shieldwall/key-exchange/client')],
        bundle: true,
        write: false,
        format: 'iife',
        globalName: 'ShieldwallKeyExchange',
        platform: 'browser',
        target: 'es2022',
        minify: true,
        legalComments: 'none',
      }),
    )
    .then((result) => result.outputFiles[0]!.text);
  bundle.catch(() => {
    bundle = undefined;
  });
  return bundle;
}

/**
 * The key exchange (DESIGN.md, "The key exchange, decided"): CSRF tokens on GET /, the web public key, session-key
 * establishment (web and mobile), the encrypted channel for wallets and activities, and the browser client.
 */
export const mountKeyExchange: Feature = async (app, services, guards) => {
  const { config } = services;
  // The mobile registry lives in the database (migration 0004), so every instance sees a forced upgrade.
  const versions = sqlAppVersions(services.database.db);
  const file = mobileRegistryFile(config);
  if (file) await versions.merge(file, services.clock.now());
  const apps = await liveAppVersions({
    store: versions,
    sealer: services.sealer,
    refreshMs: config.appVersionsRefreshMs,
    logger: services.logger,
  });
  const kx: KeyExchange = keyExchange({
    store: services.store,
    sealer: services.sealer,
    clock: services.clock,
    logger: services.logger,
    secure: config.production,
    csrfSecrets: csrfSecrets(config),
    allowedOrigins: [config.publicOrigin, ...config.corsOrigins],
    appVersionRegistry: apps.registry,
  });

  // The pages are rate-limited; a token costs no store write (the session becomes state only with its first channel).
  app.get(pagePaths, guards.limit('page'), kx.csrfToken);
  app.get(
    keyExchangeClientPath,
    wrapAsync(async function keyExchangeClientScript(_req, res) {
      res.setHeader('Content-Type', 'text/javascript; charset=utf-8');
      res.setHeader('Cache-Control', 'no-cache');
      const code = await browserClient();
      // The app sends no ETag by default (app.ts); this script is the same for everyone and revalidated on every
      // load (no-cache), so its ETag turns a repeat visit into a 304 without the body.
      bundleETag ??= `"${createHash('sha256').update(code).digest('base64url')}"`;
      res.setHeader('ETag', bundleETag);
      res.send(code);
    }),
  );
  app.get('/api/security/public-key', kx.requireCsrf, kx.publicKey);
  app.post('/api/security/session-key', guards.limit('sessionKey'), kx.sessionKey);

  // The wallet and activity routes take and return only encrypted bodies.
  guards.requireChannel = kx.requireChannel;
  // Signing out drops the web session's channels and, when it had any, ends its CSRF tokens.
  guards.onSignOut.push((req) => kx.endSession(req));

  // An encrypted echo: lets a client (and the page) check its channel end to end. Answers only over the channel.
  const echo: RequestHandler = (req, res) => {
    res.json({ echo: (req.body as unknown) ?? null, method: req.method });
  };
  app.get('/api/security/echo', kx.requireChannel, echo);
  app.post('/api/security/echo', kx.requireChannel, echo);
  return () => {
    apps.close();
    return Promise.resolve();
  };
};
