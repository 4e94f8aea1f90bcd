import {
  connectRedis,
  describeWithRedis,
  startSpareRedis,
  uniquePrefix,
  type ConnectedRedis,
} from '@shieldwall/test-utils';
import { redisStore, StoreUnavailableError } from '../src/index.js';
import { storeContract } from './store-contract.js';

describeWithRedis('redisStore on a real server', () => {
  let redis: ConnectedRedis;
  beforeAll(async () => {
    redis = await connectRedis();
  });
  afterAll(async () => {
    await redis.close();
  });

  storeContract(
    'redis',
    async () => {
      const store = redisStore({
        sendCommand: (args) => redis.sendCommand(args),
        prefix: uniquePrefix('core'),
      });
      return {
        store,
        expire: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
        teardown: () => store.close(),
      };
    },
    150,
  );

  it('prefixes every key', async () => {
    const prefix = uniquePrefix('prefix');
    const store = redisStore({ sendCommand: redis.sendCommand, prefix });
    await store.set('k', 'v', 60_000);
    expect(await redis.client.get(`${prefix}k`)).toBe('v');
  });

  it('reloads its scripts after SCRIPT FLUSH (NOSCRIPT)', async () => {
    // SCRIPT FLUSH empties the script cache of the whole server, so it runs on a private one, never the shared one.
    const spare = await startSpareRedis();
    const own = await connectRedis(spare.url);
    try {
      const store = redisStore({ sendCommand: own.sendCommand, prefix: uniquePrefix('noscript') });
      expect((await store.increment('n', 60_000)).value).toBe(1);
      await own.client.sendCommand(['SCRIPT', 'FLUSH']);
      expect((await store.increment('n', 60_000)).value).toBe(2);
    } finally {
      await own.close().catch(() => {});
      await spare.kill();
    }
  });

  it('passes Redis reply errors through rather than calling them outages', async () => {
    const prefix = uniquePrefix('wrongtype');
    const store = redisStore({ sendCommand: redis.sendCommand, prefix });
    await redis.client.sendCommand(['LPUSH', `${prefix}list`, 'x']);
    const error = await store.get('list').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Error);
    expect(error).not.toBeInstanceOf(StoreUnavailableError);
  });
});

describeWithRedis('redisStore when Redis goes away', () => {
  it('fails fast with StoreUnavailableError instead of hanging, and recovers after a restart', async () => {
    const spare = await startSpareRedis();
    const redis = await connectRedis(spare.url);
    const store = redisStore({ sendCommand: redis.sendCommand, timeoutMs: 300 });
    try {
      await store.set('k', 'v', 60_000);
      await spare.kill();
      const started = Date.now();
      const error = await store.get('k').catch((e: unknown) => e);
      expect(error).toBeInstanceOf(StoreUnavailableError);
      expect((error as StoreUnavailableError).code).toBe('store_unavailable');
      expect(Date.now() - started).toBeLessThan(2000);
      await expect(store.ping()).rejects.toBeInstanceOf(StoreUnavailableError);
      await spare.restart();
      await new Promise((r) => setTimeout(r, 600));
      await expect(store.ping()).resolves.toBeUndefined();
      expect(await store.get('k')).toBeUndefined();
    } finally {
      await redis.close().catch(() => {});
      await spare.kill();
    }
  });

  it('rejects a missing sendCommand at start-up', () => {
    expect(() => redisStore({} as never)).toThrow(/sendCommand/);
  });
});
