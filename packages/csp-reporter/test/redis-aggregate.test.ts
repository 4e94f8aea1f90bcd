import request from 'supertest';
import { redisStore, type Store } from '@shieldwall/core';
import { connectRedis, describeWithRedis, uniquePrefix, type ConnectedRedis } from '@shieldwall/test-utils';
import { harness, legacyBody, reportingBody } from './helpers.js';

const endpoint = '/api/csp-report-endpoint?version=5';

describeWithRedis('cspReporter with the Redis store', () => {
  let redis: ConnectedRedis;
  let store: Store;
  let prefix: string;

  beforeEach(async () => {
    redis = await connectRedis();
    prefix = uniquePrefix('csp');
    store = redisStore({ sendCommand: redis.sendCommand, prefix });
  });
  afterEach(async () => {
    const keys = await redis.client.keys(`${prefix}*`);
    if (keys.length > 0) await redis.client.del(keys);
    await redis.close();
  });

  it('aggregates by version, directive and blocked origin, with a TTL on every key', async () => {
    const h = harness({ store, version: 5, minVersion: 4 });
    const send = (query: string, body: string, type = 'application/csp-report'): request.Test =>
      request(h.app)
        .post(`/api/csp-report-endpoint${query}`)
        .set('Content-Type', type)
        .send(body)
        .expect(204);
    await send('?version=5', legacyBody());
    await send('?version=4', legacyBody({ 'blocked-uri': 'https://cdn.example.org/a.js' }));
    await send('?version=5', reportingBody({}, 3), 'application/reports+json');
    await send('?version=2', legacyBody());

    const agg = await h.reporter.aggregate();
    expect(agg.topViolations).toEqual([
      { directive: 'script-src-elem', blockedOrigin: 'inline', count: 3 },
      expect.objectContaining({ count: 1 }),
      expect.objectContaining({ count: 1 }),
    ]);
    expect(agg.byVersion).toEqual([
      { name: '5', count: 4 },
      { name: '4', count: 1 },
    ]);
    expect(agg.byDirective).toEqual([{ name: 'script-src-elem', count: 5 }]);
    expect(agg.byBlockedOrigin.map((o) => o.name).sort()).toEqual(
      ['https://cdn.example.org', 'https://evil.example.net', 'inline'].sort(),
    );
    expect(agg.droppedByVersion).toEqual([{ name: '2', count: 1 }]);

    const keys = await redis.client.keys(`${prefix}*`);
    expect(keys.length).toBeGreaterThan(0);
    for (const key of keys) {
      expect(await redis.client.pTTL(key)).toBeGreaterThan(0);
    }
  });

  it('dedupes identical reports across two reporter instances sharing Redis', async () => {
    const a = harness({ store });
    const b = harness({ store });
    await request(a.app)
      .post(endpoint)
      .set('Content-Type', 'application/csp-report')
      .send(legacyBody())
      .expect(204);
    await request(b.app)
      .post(endpoint)
      .set('Content-Type', 'application/csp-report')
      .send(legacyBody())
      .expect(204);
    expect(a.received.length + b.received.length).toBe(1);
    expect(await b.reporter.topViolations()).toEqual([
      { directive: 'script-src-elem', blockedOrigin: 'https://evil.example.net', count: 1 },
    ]);
  });
});
