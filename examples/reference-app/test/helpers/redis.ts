import { randomBytes } from 'node:crypto';
import type { SendCommand } from '@shieldwall/core';
import { createClient } from 'redis';

/** The Redis the suite may use; tests that need it skip, visibly, when it is not set. `.ci/run` always sets it. */
export const redisUrl: string | undefined = process.env.REDIS_URL;

let warned = false;

/** `describe` when REDIS_URL is set, otherwise a skipped block whose name says why. */
export function describeWithRedis(name: string, fn: () => void): void {
  if (redisUrl) {
    describe(name, fn);
    return;
  }
  if (!warned) {
    warned = true;
    console.warn('REDIS_URL is not set: tests that need a real Redis are skipped (.ci/run always sets it).');
  }
  describe.skip(`${name} [skipped: REDIS_URL not set]`, fn);
}

export type RedisClient = ReturnType<typeof createClient>;

export interface ConnectedRedis {
  client: RedisClient;
  sendCommand: SendCommand;
  close(): Promise<void>;
}

/** A connected node-redis client and the `sendCommand` function Shieldwall stores take. */
export async function connectRedis(
  url: string = redisUrl ?? 'redis://127.0.0.1:6379',
): Promise<ConnectedRedis> {
  const client = createClient({
    url,
    socket: { reconnectStrategy: (retries) => Math.min(retries * 50, 500) },
  });
  client.on('error', () => {
    // Reconnection is handled by the client; outage tests read errors from commands instead.
  });
  await client.connect();
  return {
    client,
    sendCommand: (args) => client.sendCommand(args),
    async close() {
      if (client.isOpen) await client.close();
    },
  };
}

/** A prefix no other test (or parallel jest worker) uses, so suites never see each other's keys. */
export function uniquePrefix(label = 'test'): string {
  return `swtest:${label}:${randomBytes(6).toString('hex')}:`;
}
