import type { Request } from 'express';
import { manualClock, memoryStore, type ManualClock, type Store } from '@shieldwall/core';
import {
  countingStore,
  loadPage,
  manualWebHandshake,
  randomId,
  requestEnvelope,
  startHarness,
  testSealer,
  type Harness,
} from './helpers.js';

// Channels at rest (keys sealed, bound to their record), their lifetime (idle TTL renewed on use, a hard maximum
// age, never past the web key they were opened under) and several per web session.

const hour = 60 * 60 * 1000;

/** A memory store that keeps every value written, to read what a Redis reader would see. */
function rawStore(clock: ManualClock): Store & { values: Map<string, string> } {
  const inner = memoryStore({ clock });
  const values = new Map<string, string>();
  return {
    ...inner,
    values,
    set: (key, value, ttl) => (values.set(key, value), inner.set(key, value, ttl)),
  };
}

async function call(h: Harness, cookie: string, key: Uint8Array, channel: string, clock: ManualClock) {
  const response = await fetch(`${h.url}/api/echo`, {
    method: 'POST',
    headers: { 'content-type': 'application/jose', cookie },
    body: await requestEnvelope(key, channel, {}, { n: 1 }, clock),
  });
  if (response.status === 200) return 200;
  return `${response.status} ${((await response.json()) as { error: { code: string } }).error.code}`;
}

const endSession = (h: Harness, cookie: string) => h.kx.endSession({ headers: { cookie } } as Request);

describe('channel keys at rest', () => {
  let clock: ManualClock;
  let store: ReturnType<typeof rawStore>;
  let h: Harness;
  beforeAll(async () => {
    clock = manualClock(Date.now());
    store = rawStore(clock);
    h = await startHarness({ store, sealer: testSealer(), clock });
  });
  afterAll(() => h.close());

  it('stores no channel key in any readable form', async () => {
    const page = await loadPage(h.url);
    const { key, channel } = await manualWebHandshake(h.url, page, clock);
    const raw = Buffer.from(key);
    const spellings = [raw.toString('base64url'), raw.toString('base64'), raw.toString('hex')];
    const record = JSON.parse(store.values.get(`kx:ch:${channel}`)!) as Record<string, unknown>;
    expect(record.k).toMatch(/^t1\./);
    for (const [name, value] of store.values) {
      for (const spelling of spellings) expect([name, value.includes(spelling)]).toEqual([name, false]);
      expect([name, Buffer.from(value, 'latin1').includes(raw)]).toEqual([name, false]);
    }
    expect(await call(h, page.cookie, key, channel, clock)).toBe(200);
  });

  it('refuses a channel written into the store by someone who can write but not seal', async () => {
    const page = await loadPage(h.url);
    const { key } = await manualWebHandshake(h.url, page, clock);
    const sid = /=(.*)$/.exec(page.cookie)![1]!;
    const id = `c${randomId().slice(0, 22)}`;
    const forged = {
      id,
      k: Buffer.from(key).toString('base64url'),
      s: sid,
      m: clock.now() + hour,
      e: clock.now() + hour,
    };
    await store.set(`kx:ch:${id}`, JSON.stringify(forged), hour);
    expect(await call(h, page.cookie, key, id, clock)).toBe('400 invalid_envelope');
  });

  it('refuses a record whose session, hard end or sealed key was changed in the store', async () => {
    const victim = await loadPage(h.url);
    const attacker = await loadPage(h.url);
    const { key, channel } = await manualWebHandshake(h.url, victim, clock);
    const original = store.values.get(`kx:ch:${channel}`)!;
    const record = JSON.parse(original) as { s: string; m: number; k: string };
    const other = await manualWebHandshake(h.url, victim, clock);
    const otherRecord = JSON.parse(store.values.get(`kx:ch:${other.channel}`)!) as { k: string };
    const attackerSid = /=(.*)$/.exec(attacker.cookie)![1]!;
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ s: attackerSid }, attacker.cookie],
      [{ m: record.m + 365 * 24 * hour }, victim.cookie],
      [{ k: otherRecord.k }, victim.cookie],
    ];
    for (const [change, cookie] of cases) {
      await store.set(`kx:ch:${channel}`, JSON.stringify({ ...record, ...change }), hour);
      expect([change, await call(h, cookie, key, channel, clock)]).toEqual([change, '400 invalid_envelope']);
    }
    await store.set(`kx:ch:${channel}`, original, hour);
    expect(await call(h, victim.cookie, key, channel, clock)).toBe(200);
  });
});

describe('channel lifetime', () => {
  it('renews on use but ends at the maximum age however busy', async () => {
    const clock = manualClock(Date.now());
    const h = await startHarness({ clock, channelTtlMs: hour, channelMaxAgeMs: 3 * hour });
    try {
      const page = await loadPage(h.url);
      const { key, channel } = await manualWebHandshake(h.url, page, clock);
      for (let minutes = 30; minutes < 180; minutes += 30) {
        clock.advance(30 * 60 * 1000);
        expect([minutes, await call(h, page.cookie, key, channel, clock)]).toEqual([minutes, 200]);
      }
      clock.advance(30 * 60 * 1000);
      expect(await call(h, page.cookie, key, channel, clock)).toBe('400 invalid_envelope');
    } finally {
      await h.close();
    }
  });

  it('still ends an idle channel after its TTL', async () => {
    const clock = manualClock(Date.now());
    const h = await startHarness({ clock, channelTtlMs: hour, channelMaxAgeMs: 3 * hour });
    try {
      const page = await loadPage(h.url);
      const { key, channel } = await manualWebHandshake(h.url, page, clock);
      clock.advance(hour + 1000);
      expect(await call(h, page.cookie, key, channel, clock)).toBe('400 invalid_envelope');
    } finally {
      await h.close();
    }
  });

  it('never outlives the web key it was opened under', async () => {
    const clock = manualClock(Date.now());
    const h = await startHarness({
      clock,
      rotateEveryMs: hour,
      keyLifetimeMs: 2 * hour,
      channelTtlMs: 24 * hour,
    });
    try {
      const page = await loadPage(h.url);
      const opened = await manualWebHandshake(h.url, page, clock);
      const keyExp = (opened.jwk as { exp: number }).exp * 1000;
      clock.advance(keyExp - clock.now() - 60_000);
      expect(await call(h, page.cookie, opened.key, opened.channel, clock)).toBe(200);
      clock.advance(61_000);
      expect(await call(h, page.cookie, opened.key, opened.channel, clock)).toBe('400 invalid_envelope');
    } finally {
      await h.close();
    }
  });
});

describe('several channels per web session', () => {
  let clock: ManualClock;
  let h: Harness;
  beforeAll(async () => {
    clock = manualClock(Date.now());
    h = await startHarness({ clock, channelsPerSession: 3 });
  });
  afterAll(() => h.close());

  it('keeps two tabs working, even when they open their channels at the same moment', async () => {
    const page = await loadPage(h.url);
    const [a, b] = await Promise.all([
      manualWebHandshake(h.url, page, clock),
      manualWebHandshake(h.url, page, clock),
    ]);
    expect(await call(h, page.cookie, a.key, a.channel, clock)).toBe(200);
    expect(await call(h, page.cookie, b.key, b.channel, clock)).toBe(200);
  });

  it('replaces the oldest channel beyond the bound', async () => {
    const page = await loadPage(h.url);
    const opened = [];
    for (let i = 0; i < 4; i++) opened.push(await manualWebHandshake(h.url, page, clock));
    const results = [];
    for (const { key, channel } of opened) results.push(await call(h, page.cookie, key, channel, clock));
    expect(results).toEqual(['400 invalid_envelope', 200, 200, 200]);
  });

  it('ends every channel of the session on endSession, and only that session', async () => {
    const page = await loadPage(h.url);
    const other = await loadPage(h.url);
    const mine = [await manualWebHandshake(h.url, page, clock), await manualWebHandshake(h.url, page, clock)];
    const theirs = await manualWebHandshake(h.url, other, clock);
    await endSession(h, page.cookie);
    for (const { key, channel } of mine) {
      expect(await call(h, page.cookie, key, channel, clock)).toBe('400 invalid_envelope');
    }
    expect(await call(h, other.cookie, theirs.key, theirs.channel, clock)).toBe(200);
  });
});

describe('anonymous page loads', () => {
  it('store nothing, however many, and a live channel survives a flood on a small store', async () => {
    const clock = manualClock(Date.now());
    // A store with room for little more than one session's channel: any write per page load would evict it.
    const store = countingStore(memoryStore({ clock, maxEntries: 20 }));
    const h = await startHarness({ store, sealer: testSealer(), clock });
    try {
      const page = await loadPage(h.url);
      const { key, channel } = await manualWebHandshake(h.url, page, clock);
      const before = store.writes();
      const tokens = new Set<string>();
      for (let i = 0; i < 200; i++) tokens.add((await loadPage(h.url)).token);
      expect(tokens.size).toBe(200);
      expect(store.writes()).toBe(before);
      expect(await call(h, page.cookie, key, channel, clock)).toBe(200);
      // A flooded token is still good for its own session (stateless until used).
      const late = await loadPage(h.url);
      const publicKey = await fetch(`${h.url}/api/security/public-key`, {
        headers: { 'x-csrf-token': late.token, cookie: late.cookie },
      });
      expect(publicKey.status).toBe(200);
    } finally {
      await h.close();
    }
  });
});
