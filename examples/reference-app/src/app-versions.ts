import type { Logger } from '@shieldwall/core';
import {
  createAppVersionRegistry,
  type AppVersionRegistry,
  type SecretSealer,
} from '@shieldwall/key-exchange';
import type { AppVersionStore } from './db/app-versions.js';

/** The registry every handshake and channel request asks, kept current from the database. */
export interface LiveAppVersions {
  registry: AppVersionRegistry;
  /** Reads the tables now (the timer does it every `refreshMs`). */
  refresh(): Promise<void>;
  close(): void;
}

/**
 * The mobile app-version registry from the database, re-read every `refreshMs` by a timer, so a minimum version or
 * a revocation written by the CLI (or another instance) applies here within `refreshMs` plus one query, with no
 * restart and whether or not requests come in. The registry is rebuilt only when the rows changed (the opened
 * private keys are kept otherwise). A failed read keeps the last registry and is logged: a database hiccup must
 * not turn every app away.
 */
export async function liveAppVersions(options: {
  store: AppVersionStore;
  sealer: SecretSealer;
  refreshMs: number;
  logger: Logger;
}): Promise<LiveAppVersions> {
  const { store, sealer, refreshMs, logger } = options;
  const first = await store.load();
  let current = createAppVersionRegistry(first, sealer);
  let seen = JSON.stringify(first);
  let inFlight: Promise<void> | undefined;

  const read = async (): Promise<void> => {
    const next = await store.load();
    const text = JSON.stringify(next);
    if (text === seen) return;
    current = createAppVersionRegistry(next, sealer);
    seen = text;
    logger.info('app versions changed', {
      keys: next.keys.length,
      minVersions: next.minVersions ?? {},
      revoked: next.revoked ?? {},
    });
  };
  const refresh = (): Promise<void> => {
    inFlight ??= read().finally(() => {
      inFlight = undefined;
    });
    return inFlight;
  };
  const timer = setInterval(() => {
    refresh().catch((error: unknown) =>
      logger.warn('app versions refresh failed; keeping the last registry', {
        error: error instanceof Error ? error.message : String(error),
      }),
    );
  }, refreshMs);
  timer.unref();

  return {
    registry: {
      check: (platform, version) => current.check(platform, version),
      privateKey: (kid) => current.privateKey(kid),
    },
    refresh,
    close: () => clearInterval(timer),
  };
}
