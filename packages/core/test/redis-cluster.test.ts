import { Cluster } from 'ioredis';
import {
  describeWithRedis,
  startRedisCluster,
  uniquePrefix,
  type RedisCluster,
} from '@shieldwall/test-utils';
import { redisStore, StoreUnavailableError, type SendCommand } from '../src/index.js';
import { storeContract } from './store-contract.js';

// ioredis's Cluster routes each command by its key, follows MOVED/ASK/TRYAGAIN, and refreshes its slot map when a
// node's connection drops, so a failed-over master is found without waiting for the dead one to come back.
// (node-redis's cluster client rediscovers only on MOVED/ASK, so it keeps waiting on a killed master.)
function connectCluster(cluster: RedisCluster): { client: Cluster; sendCommand: SendCommand } {
  const client = new Cluster(
    cluster.nodes.map((node) => ({ host: '127.0.0.1', port: node.port })),
    {
      clusterRetryStrategy: (times) => Math.min(times * 100, 1000),
      slotsRefreshTimeout: 500,
      redisOptions: { connectTimeout: 300, maxRetriesPerRequest: 2 },
    },
  );
  client.on('error', () => {});
  return { client, sendCommand: (args) => client.call(args[0]!, ...args.slice(1)) };
}

describeWithRedis('redisStore on a real three-master Redis Cluster', () => {
  let cluster: RedisCluster;
  let connected: Awaited<ReturnType<typeof connectCluster>>;
  beforeAll(async () => {
    cluster = await startRedisCluster();
    connected = connectCluster(cluster);
  }, 60_000);
  afterAll(async () => {
    connected?.client.disconnect();
    await cluster?.stop();
  });

  storeContract(
    'redis cluster',
    async () => {
      const store = redisStore({ sendCommand: connected.sendCommand, prefix: uniquePrefix('cluster') });
      return {
        store,
        expire: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
        teardown: () => store.close(),
      };
    },
    150,
  );

  it('spreads keys over every master (commands are routed, not all sent to one node)', async () => {
    const store = redisStore({ sendCommand: connected.sendCommand, prefix: uniquePrefix('spread') });
    const keys = Array.from({ length: 60 }, (_, i) => `k${i}`);
    for (const key of keys) await store.set(key, 'v', 60_000);
    const owners = new Set<number>();
    for (const key of keys) owners.add((await cluster.masterOf(`${key}`)).port);
    expect(owners.size).toBe(3);
    for (const key of keys) expect(await store.get(key)).toBe('v');
  });

  it('keeps answering after a master is killed and its replica takes over; the outage is a bounded 503', async () => {
    const prefix = uniquePrefix('failover');
    const store = redisStore({ sendCommand: connected.sendCommand, prefix, timeoutMs: 500 });
    const before = await store.increment('counter', 600_000);
    expect(before.value).toBe(1);
    const victim = await cluster.masterOf(`${prefix}counter`);
    await cluster.kill(victim);

    // While the slot has no master, each call fails within the timeout as a store outage, never hangs.
    const started = Date.now();
    const during = await store.increment('counter', 600_000).catch((error: unknown) => error);
    expect(Date.now() - started).toBeLessThan(5_000);
    if (during instanceof Error) expect(during).toBeInstanceOf(StoreUnavailableError);

    await cluster.waitUntilHealthy(20_000);
    const promoted = await cluster.masterOf(`${prefix}counter`);
    expect(promoted.port).not.toBe(victim.port);
    let after: number | undefined;
    for (let attempt = 0; attempt < 50 && after === undefined; attempt++) {
      after = await store
        .increment('counter', 600_000)
        .then((counter) => counter.value)
        .catch(() => undefined);
      if (after === undefined) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    // The replica had the first increment (replication is asynchronous, but it was written well before the kill).
    expect(after).toBeGreaterThanOrEqual(2);

    await cluster.restart(victim);
    await cluster.waitUntilHealthy(20_000);
    expect((await cluster.masters()).length).toBe(3);
  }, 60_000);
});
