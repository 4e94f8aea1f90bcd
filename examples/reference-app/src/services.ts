import { hkdfSync } from 'node:crypto';
import {
  memoryStore,
  redisStore,
  systemClock,
  type Clock,
  type Logger,
  type SendCommand,
  type Store,
} from '@shieldwall/core';
import type { Config } from './config/index.js';
import { jsonLogger } from './logger.js';
import { connectRedis } from './redis.js';
import type { Outbox } from './outbox.js';
import { destinationCap, type DestinationCap } from './messages/destination-cap.js';
import { outboxFromConfig } from './messages/setup.js';
import type { UserRepository } from './users.js';
import type { WalletRepository } from './wallets/repository.js';
import { envelopeSealer, type EnvelopeSealer } from '@shieldwall/wallet-crypto';
import { openDatabase, type Database, type DatabaseTarget } from './db/open.js';
import { sqlUsers } from './db/users.js';
import { sqlWallets } from './db/wallets.js';
import { sqlLedger, type Ledger } from './db/ledger.js';
import { sqlActivities, type Activities } from './db/activities.js';
import { sqlSealedColumns, type SealedColumn } from './db/sealed.js';
import { reasonOf, redactUrl, StartupProblem } from './startup/problem.js';

/** Everything the features share. Built once at start; tests pass overrides (clock, logger, fetch, ...). */
export interface Services {
  config: Config;
  logger: Logger;
  clock: Clock;
  /** All shared state: memory by default, Redis when REDIS_URL is set. */
  store: Store;
  /** Present when REDIS_URL is set: for packages that take a Redis client directly (rate-limit-redis). */
  sendCommand?: SendCommand;
  outbox: Outbox;
  /** How many messages one e-mail address or phone receives per window, whoever asks (MESSAGES_PER_DESTINATION). */
  destinations: DestinationCap;
  /** PostgreSQL (DATABASE_URL) or PGlite: every durable record, through the repositories below. */
  database: Database;
  users: UserRepository;
  /** Wallets with their private keys sealed (@shieldwall/wallet-crypto); durable records, not store state. */
  wallets: WalletRepository;
  /** The transaction ledger: 002's 30-day volume. */
  ledger: Ledger;
  /** The activities catalogue and who joined what. */
  activities: Activities;
  /** Every column of sealed values, for KEK rotation (wallet keys, TOTP secrets). */
  sealedColumns: SealedColumn[];
  /**
   * Envelope encryption under the WALLET_KEKS ring (first encrypts, all decrypt), built once: wallet keys, the
   * key exchange's RSA private keys and TOTP secrets are sealed with it, each bound to its own context.
   */
  sealer: EnvelopeSealer;
  /** Outbound HTTP (CAPTCHA verifiers, OAuth providers, the SMS provider). */
  fetch: typeof fetch;
  close(): Promise<void>;
}

export type ServiceOverrides = Partial<
  Pick<Services, 'logger' | 'clock' | 'store' | 'outbox' | 'users' | 'wallets' | 'fetch' | 'sendCommand'>
> & {
  /** Where the database is, instead of the configuration's (tests share one PGlite, one schema per app). */
  databaseTarget?: DatabaseTarget;
};

/** The configured database: PostgreSQL when DATABASE_URL is set, else PGlite under DATA_DIR (or in memory). */
export function databaseTargetOf(config: Config): DatabaseTarget {
  if (config.databaseUrl)
    return {
      kind: 'postgres',
      url: config.databaseUrl,
      poolMax: config.databasePoolMax,
      timeoutMs: config.databaseTimeoutMs,
    };
  return config.pgliteDir ? { kind: 'pglite', dir: config.pgliteDir } : { kind: 'pglite' };
}

/** A database that cannot be opened at start, as the one sentence the operator needs (naming the variable). */
function databaseProblem(config: Config, error: unknown): unknown {
  if (config.databaseUrl)
    return new StartupProblem(
      'DATABASE_URL',
      `DATABASE_URL (${redactUrl(config.databaseUrl)}) cannot be opened (${reasonOf(error)}). Start PostgreSQL there, create the database, fix DATABASE_URL, or unset it to use PGlite under DATA_DIR.`,
      { cause: error },
    );
  if (config.pgliteDir)
    return new StartupProblem(
      'DATA_DIR',
      `DATA_DIR's database (${config.pgliteDir}) cannot be opened (${reasonOf(error)}). Another instance may be using it, or the folder is not writable: stop it, or set DATA_DIR to another folder.`,
      { cause: error },
    );
  return error;
}

export async function createServices(config: Config, overrides: ServiceOverrides = {}): Promise<Services> {
  const logger = overrides.logger ?? jsonLogger();
  const clock = overrides.clock ?? systemClock;
  const closers: Array<() => Promise<void>> = [];

  let store = overrides.store;
  let sendCommand = overrides.sendCommand;
  if (!store && config.redis) {
    const redis = await connectRedis(config.redis.urls, config.redis.cluster, logger);
    closers.push(() => redis.close());
    sendCommand = redis.sendCommand;
    store = redisStore({ sendCommand, prefix: 'sw:' });
  }
  if (!store) {
    const memory = memoryStore({ clock });
    closers.push(() => memory.close());
    store = memory;
  }
  const fetchImpl = overrides.fetch ?? globalThis.fetch;
  let database: Database;
  try {
    database = await openDatabase(overrides.databaseTarget ?? databaseTargetOf(config), logger);
  } catch (error) {
    for (const close of closers.reverse()) await close();
    throw databaseProblem(config, error);
  }
  closers.push(() => database.close());
  let outbox = overrides.outbox;
  if (!outbox) {
    const built = outboxFromConfig(config, { database, clock, logger, fetch: fetchImpl });
    // Closed before the database (closers run in reverse): the round in flight still marks what it sent.
    closers.push(() => built.close());
    outbox = built;
  }
  const now = () => clock.now();
  const wallets = overrides.wallets ?? sqlWallets(database.db);

  return {
    config,
    logger,
    clock,
    store,
    ...(sendCommand ? { sendCommand } : {}),
    outbox,
    destinations: destinationCap({
      store,
      // Derived from the first JWT secret, as the verification codes' key: the same on every instance.
      hashKey: Buffer.from(
        hkdfSync(
          'sha256',
          config.jwtSecrets[0]!.key,
          Buffer.alloc(0),
          'shieldwall message destination cap',
          32,
        ),
      ),
      ...config.messages.perDestination,
    }),
    database,
    users: overrides.users ?? sqlUsers(database.db, now, database.scope),
    wallets,
    ledger: sqlLedger(database.db),
    activities: sqlActivities(database.db),
    sealedColumns: [
      {
        name: 'wallets.sealed_key',
        scan: (cursor) => wallets.scanSealedKeys(cursor),
        replace: (id, expected, next) => wallets.replaceSealedKey(id, expected, next),
      },
      ...sqlSealedColumns(database.db).filter((column) => column.name !== 'wallets.sealed_key'),
    ],
    sealer: envelopeSealer({ keks: config.walletKeks }),
    fetch: fetchImpl,
    async close() {
      for (const close of closers.reverse()) await close();
    },
  };
}
