import type { Logger, SendCommand } from '@shieldwall/core';
import { Cluster } from 'ioredis';
import { createClient } from 'redis';

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
    client.on('error', onError);
    await new Promise<void>((resolve, reject) => {
      client.once('ready', resolve);
      client.once('end', () => reject(new Error('Redis Cluster closed before it was ready')));
    });
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
  client.on('error', onError);
  await client.connect();
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
