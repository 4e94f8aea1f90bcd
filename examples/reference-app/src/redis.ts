import type { Logger, SendCommand } from '@shieldwall/core';
import { Cluster } from 'ioredis';
import { createClient } from 'redis';
import { reasonOf, redactUrl, StartupProblem } from './startup/problem.js';

/**
 * How long start-up waits for Redis. Both clients retry for ever by design (a Redis restart must not kill a running
 * app), so without this bound an unreachable REDIS_URL would hang the start with no word.
 */
export const redisStartupTimeoutMs = 5000;

export interface RedisConnection {
  sendCommand: SendCommand;
  close(): Promise<void>;
}

/**
 * REDIS_URL names one server, or a Redis Cluster: several comma-separated seed nodes, or one seed with
 * REDIS_CLUSTER=1. A cluster goes through ioredis, which routes each command by its key's slot, follows MOVED, ASK
 * and TRYAGAIN, and refreshes its slot map when a node drops, so a failed-over master is found within about a
 * second (node-redis's cluster client rediscovers only on MOVED, and keeps waiting on a dead master).
 */
export async function connectRedis(
  urls: readonly string[],
  cluster: boolean,
  logger: Logger,
): Promise<RedisConnection> {
  const onError = (error: Error): void => logger.warn('redis connection error', { error: error.message });
  if (cluster) {
    const client = new Cluster(
      urls.map((url) => {
        const parsed = new URL(url);
        return { host: parsed.hostname, port: Number(parsed.port || 6379) };
      }),
      {
        clusterRetryStrategy: (times) => Math.min(times * 100, 1000),
        slotsRefreshTimeout: 1000,
        redisOptions: redisOptionsOf(urls[0]!),
      },
    );
    let lastError: unknown;
    client.on('error', (error: Error) => {
      lastError = error;
      onError(error);
    });
    await withinStartup(
      new Promise<void>((resolve, reject) => {
        client.once('ready', resolve);
        client.once('end', () => reject(new Error('Redis Cluster closed before it was ready')));
      }),
      () => client.disconnect(),
      () => lastError,
      urls,
    );
    return {
      // Every command goes to the master of its key's slot: a replica may not yet hold a single-use claim or a
      // rotated refresh token its master has just written.
      sendCommand: (args) => client.call(args[0]!, ...args.slice(1)),
      async close() {
        await client.quit().catch(() => client.disconnect());
      },
    };
  }
  const client = createClient({ url: urls[0]! });
  // node-redis reconnects by itself; commands meanwhile fail through the store's timeout and each package's
  // outage policy, and /readyz reports the store as down.
  let lastError: unknown;
  client.on('error', (error: Error) => {
    lastError = error;
    onError(error);
  });
  await withinStartup(
    client.connect().then(() => undefined),
    () => client.destroy(),
    () => lastError,
    urls,
  );
  return {
    sendCommand: (args) => client.sendCommand(args),
    async close() {
      if (client.isOpen) await client.close();
    },
  };
}

// Credentials and TLS come from the first seed's URL and apply to every node the cluster names.
function redisOptionsOf(url: string): {
  connectTimeout: number;
  maxRetriesPerRequest: number;
  username?: string;
  password?: string;
  tls?: object;
} {
  const parsed = new URL(url);
  return {
    connectTimeout: 1000,
    maxRetriesPerRequest: 2,
    ...(parsed.username ? { username: decodeURIComponent(parsed.username) } : {}),
    ...(parsed.password ? { password: decodeURIComponent(parsed.password) } : {}),
    ...(parsed.protocol === 'rediss:' ? { tls: {} } : {}),
  };
}

/** Resolves when `connected` does, or gives up after redisStartupTimeoutMs with a sentence naming REDIS_URL. */
async function withinStartup(
  connected: Promise<void>,
  abandon: () => void,
  lastError: () => unknown,
  urls: readonly string[],
): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'late'>((resolve) => {
    timer = setTimeout(() => resolve('late'), redisStartupTimeoutMs);
  });
  let failure: unknown;
  const outcome = await Promise.race([
    connected.then(
      () => 'ready' as const,
      (error: unknown) => {
        failure = error;
        return 'failed' as const;
      },
    ),
    late,
  ]).finally(() => clearTimeout(timer));
  if (outcome === 'ready') return;
  abandon();
  const cause = failure ?? lastError();
  const reason = cause === undefined ? 'no answer' : reasonOf(cause);
  throw new StartupProblem(
    'REDIS_URL',
    `REDIS_URL (${urls.map(redactUrl).join(', ')}) cannot be reached (${reason}; tried for ${redisStartupTimeoutMs / 1000} s). Start Redis there, fix REDIS_URL, or unset it to keep the state in memory (one instance only).`,
    { cause },
  );
}
