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
import { outboxFromConfig } from './messages/setup.js';
import { memoryUsers, type UserRepository } from './users.js';
import { memoryWallets, type WalletRepository } from './wallets/repository.js';
import { envelopeSealer, type EnvelopeSealer } from '@shieldwall/wallet-crypto';

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
  users: UserRepository;
  /** Wallets with their private keys sealed (@shieldwall/wallet-crypto); durable records, not store state. */
  wallets: WalletRepository;
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
>;

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
  let outbox = overrides.outbox;
  if (!outbox) {
    const built = outboxFromConfig(config, { store, clock, logger, fetch: fetchImpl });
    closers.push(() => built.close());
    outbox = built;
  }

  return {
    config,
    logger,
    clock,
    store,
    ...(sendCommand ? { sendCommand } : {}),
    outbox,
    users: overrides.users ?? memoryUsers(() => clock.now()),
    wallets: overrides.wallets ?? memoryWallets(),
    sealer: envelopeSealer({ keks: config.walletKeks }),
    fetch: fetchImpl,
    async close() {
      for (const close of closers.reverse()) await close();
    },
  };
}
