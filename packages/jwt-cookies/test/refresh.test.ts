import request from 'supertest';
import { manualClock, memoryStore, redisStore } from '@shieldwall/core';
import {
  connectRedis,
  describeWithRedis,
  recordingStore,
  uniquePrefix,
  type ConnectedRedis,
} from '@shieldwall/test-utils';
import { cookieHeader, harness, setCookies, type Harness } from './helpers.js';

const memoryLogger = () => {
  const entries: Array<{ message: string; fields?: Record<string, unknown> }> = [];
  const log = (message: string, fields?: Record<string, unknown>) => void entries.push({ message, fields });
  return { entries, info: log, warn: log, error: log };
};
const payload = (token: string) => JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString());

describe('jwt-cookies: refresh rotation and reuse detection', () => {
  let h: Harness;
  afterEach(() => h.close());

  const login = async (sub = 'user-1') =>
    setCookies(await request(h.app).post(`/api/auth/login/${sub}`).expect(204));
  const refresh = (cookies: Record<string, string>) =>
    request(h.app).post('/api/auth/refresh').set('Cookie', cookieHeader(cookies));

  it('rotates: both cookies re-issued, the new refresh token in the same family with a new jti', async () => {
    h = harness();
    const first = await login();
    h.clock.advance(60_000);
    const res = await refresh(first).expect(204);
    const second = setCookies(res);
    expect(Object.keys(second).sort()).toEqual(['at', 'rt']);
    expect(payload(second.rt!).fam).toBe(payload(first.rt!).fam);
    expect(payload(second.rt!).jti).not.toBe(payload(first.rt!).jti);
    expect(payload(second.at!).sid).toBe(payload(first.rt!).fam);
    expect(res.headers['cache-control']).toBe('no-store');
    await request(h.app).get('/me').set('Cookie', cookieHeader(second)).expect(200, { sub: 'user-1' });
  });

  it('revokes the whole family when a retired token comes back after the grace', async () => {
    const logger = memoryLogger();
    h = harness({ logger });
    const first = await login();
    const second = setCookies(await refresh(first).expect(204));
    h.clock.advance(11_000);
    const replay = await refresh(first).expect(401);
    expect(replay.body.error.code).toBe('refresh_reused');
    expect(setCookies(replay)).toEqual({ at: '', rt: '' });
    // the legitimate holder's newer token is dead too
    const after = await refresh(second).expect(401);
    expect(after.body.error.code).toBe('session_revoked');
    expect(logger.entries.some((e) => e.message.includes('reuse'))).toBe(true);
    expect(JSON.stringify(logger.entries)).not.toContain(first.rt!);
  });

  it('lets concurrent refreshes of one token through inside the grace, with the same successor', async () => {
    h = harness();
    const first = await login();
    const [a, b] = await Promise.all([refresh(first), refresh(first)]);
    expect([a.status, b.status]).toEqual([204, 204]);
    const [ra, rb] = [setCookies(a).rt!, setCookies(b).rt!];
    expect(payload(ra).jti).toBe(payload(rb).jti);
    // a third, 5 s later, still in the grace
    h.clock.advance(5_000);
    await refresh(first).expect(204);
    // the successor works once; then the predecessor has no grace any more
    await refresh({ rt: ra }).expect(204);
    const late = await refresh(first).expect(401);
    expect(late.body.error.code).toBe('refresh_reused');
  });

  it('still gives the grace at exactly refreshGraceSeconds, and not a millisecond later', async () => {
    h = harness({ refreshGraceSeconds: 10 });
    const first = await login();
    await refresh(first).expect(204);
    h.clock.advance(10_000);
    await refresh(first).expect(204);
    h.clock.advance(1);
    expect((await refresh(first).expect(401)).body.error.code).toBe('refresh_reused');
  });

  it('remembers a spent token while its exp plus the clock tolerance lets it in, and then forgets it', async () => {
    const clock = manualClock();
    const store = recordingStore(memoryStore({ clock }));
    h = harness({ clockToleranceSeconds: 5 }, { store, clock });
    const first = await login();
    const expMs = payload(first.rt!).exp * 1000;
    await refresh(first).expect(204);
    const [spent] = store.changedKeys(/used:/);
    // Past its exp but inside the tolerance the token still verifies: were the record gone, it would rotate again
    // and fork the family.
    clock.set(expMs + 4_999);
    expect((await refresh(first).expect(401)).body.error.code).toBe('refresh_reused');
    // Once the tolerance cannot accept the token either, the record has no use and must not fill the store.
    expect(await store.get(spent!)).toBeDefined();
    clock.set(expMs + 5_001);
    expect(await store.get(spent!)).toBeUndefined();
    await store.close();
  });

  it('treats a concurrent refresh outside the grace as reuse', async () => {
    h = harness({ refreshGraceSeconds: 0 });
    const first = await login();
    const results = await Promise.all([refresh(first), refresh(first)]);
    expect(results.map((r) => r.status).sort()).toEqual([204, 401]);
    expect(results.find((r) => r.status === 401)!.body.error.code).toBe('refresh_reused');
  });

  it('ends a family at its absolute lifetime however often it refreshes', async () => {
    h = harness({ refreshTtlSeconds: 3600, familyLifetimeSeconds: 7200 });
    const start = h.clock.now();
    let cookies = await login();
    h.clock.advance(3000_000);
    cookies = setCookies(await refresh(cookies).expect(204));
    expect(payload(cookies.rt!).exp * 1000).toBe(start + 6600_000);
    h.clock.advance(3000_000);
    cookies = setCookies(await refresh(cookies).expect(204));
    // capped at the family's end, not a full hour more
    expect(payload(cookies.rt!).exp * 1000).toBe(start + 7200_000);
    h.clock.advance(1300_000);
    const res = await refresh(cookies).expect(401);
    expect(['session_expired', 'session_revoked']).toContain(res.body.error.code);
    expect(setCookies(res)).toEqual({ at: '', rt: '' });
  });

  it('answers 503 and keeps the family when the store has no room to record a spent token', async () => {
    const clock = manualClock();
    const store = memoryStore({ clock, maxEntries: 4 });
    h = harness({}, { store, clock });
    const cookies = await login();
    // Every claim slot holds a live claim, so the store refuses to record this token as spent.
    for (let i = 0; i < 4; i += 1)
      expect(await store.setIfAbsent(`other-claim-${i}`, '1', 30_000)).toBe(true);
    const refused = await refresh(cookies).expect(503);
    expect(refused.body.error.code).toBe('store_unavailable');
    expect(refused.headers['set-cookie']).toBeUndefined();
    clock.advance(30_000);
    // Not taken for a replay: once the slot frees up, the same token rotates.
    await refresh(cookies).expect(204);
    await store.close();
  });

  it('refuses an expired refresh token with session_expired', async () => {
    h = harness();
    const cookies = await login();
    h.clock.advance(72 * 3600_000 + 6_000);
    const res = await refresh(cookies).expect(401);
    expect(res.body.error.code).toBe('session_expired');
  });

  it('answers unauthenticated without a refresh cookie, and sets nothing', async () => {
    h = harness();
    const res = await request(h.app).post('/api/auth/refresh').expect(401);
    expect(res.body.error.code).toBe('unauthenticated');
    expect(res.headers['set-cookie']).toBeUndefined();
  });

  it('revokes every family of a user, and only that user', async () => {
    h = harness();
    const phone = await login('user-1');
    const laptop = await login('user-1');
    const other = await login('user-2');
    await expect(h.auth.revokeUser('user-1')).resolves.toBe(2);
    expect((await refresh(phone).expect(401)).body.error.code).toBe('session_revoked');
    expect((await refresh(laptop).expect(401)).body.error.code).toBe('session_revoked');
    await refresh(other).expect(204);
  });

  it('logs out: revokes the family and clears both cookies with the attributes they were set with', async () => {
    h = harness({ secure: true });
    const login = await request(h.app).post('/api/auth/login/user-1').expect(204);
    const set = login.headers['set-cookie'] as unknown as string[];
    const cookies = setCookies(login);
    const res = await request(h.app)
      .post('/api/auth/logout')
      .set('Cookie', cookieHeader(cookies))
      .expect(204);
    const cleared = res.headers['set-cookie'] as unknown as string[];
    const attributes = (line: string) =>
      line
        .split('; ')
        .slice(1)
        .filter((a) => !/^(Max-Age|Expires)=/.test(a))
        .sort();
    expect(cleared.map((l) => l.split('=')[0])).toEqual(set.map((l) => l.split('=')[0]));
    cleared.forEach((line, i) => {
      expect(line).toMatch(/Max-Age=0/);
      expect(attributes(line)).toEqual(attributes(set[i]!));
    });
    const again = await refresh(cookies).expect(401);
    expect(again.body.error.code).toBe('session_revoked');
  });
});

describeWithRedis('jwt-cookies: refresh families in Redis', () => {
  let redis: ConnectedRedis;
  beforeAll(async () => {
    redis = await connectRedis();
  });
  afterAll(() => redis.close());

  it('rotates a token exactly once across two instances', async () => {
    const store = redisStore({ sendCommand: redis.sendCommand, prefix: uniquePrefix('jwt') });
    const clock = manualClock(Date.now());
    const one = harness({ refreshGraceSeconds: 0 }, { store, clock });
    const two = harness({ refreshGraceSeconds: 0 }, { store, clock });
    try {
      const cookies = setCookies(await request(one.app).post('/api/auth/login/user-1').expect(204));
      const results = await Promise.all(
        [one, two, one, two].map((h) =>
          request(h.app).post('/api/auth/refresh').set('Cookie', cookieHeader(cookies)),
        ),
      );
      expect(results.filter((r) => r.status === 204)).toHaveLength(1);
      for (const r of results.filter((r) => r.status !== 204))
        expect(r.body.error.code).toBe('refresh_reused');
    } finally {
      await one.close();
      await two.close();
      await store.close();
    }
  });
});
