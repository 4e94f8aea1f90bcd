import { manualClock, type ManualClock } from '@shieldwall/core';
import { memoryLogger } from '@shieldwall/reference-app';
import { openDatabase, type Database, type DatabaseTarget } from '../src/db/open.js';
import { sqlOutboxRepository } from '../src/db/outbox.js';
import { sqlUsers } from '../src/db/users.js';
import type { MessageContent } from '../src/messages/message.js';
import type { OutboxRepository } from '../src/messages/repository.js';
import {
  freshPostgresDatabase,
  pgliteTarget,
  reachablePostgres,
  type FreshDatabase,
} from './helpers/database.js';

// The outbox table (migration 0002) on PGlite and on the real PostgreSQL: two workers, each with its own
// connection(s) to one database, claim with FOR UPDATE SKIP LOCKED and a lease.

const mail = (to: string, n = 0): MessageContent => ({
  channel: 'email',
  to,
  subject: `Subject ${n}`,
  text: `code ${n}`,
});

interface Pair {
  a: Database;
  b: Database;
  close(): Promise<void>;
}

let server: string | undefined;
beforeAll(async () => {
  server = await reachablePostgres();
  if (!server)
    console.warn('SKIPPED: outbox tests on PostgreSQL (set DATABASE_URL to a reachable server to run them)');
}, 60_000);

const backends: Array<{ name: string; open(): Promise<Pair | undefined> }> = [
  {
    name: 'PGlite',
    async open() {
      // Two apps on one schema of one PGlite: the same rows, one session taken in turns.
      const target = (await pgliteTarget()) as Extract<DatabaseTarget, { kind: 'pglite-shared' }>;
      const a = await openDatabase(target, memoryLogger());
      const b = await openDatabase(target, memoryLogger());
      return { a, b, close: async () => void (await Promise.all([a.close(), b.close()])) };
    },
  },
  {
    name: 'PostgreSQL',
    async open() {
      if (!server) return undefined;
      const fresh: FreshDatabase = await freshPostgresDatabase(server);
      const target: DatabaseTarget = { kind: 'postgres', url: fresh.url, poolMax: 4, timeoutMs: 5000 };
      // Two pools, as two instances have: their claims really run at the same time.
      const a = await openDatabase(target, memoryLogger());
      const b = await openDatabase(target, memoryLogger());
      return {
        a,
        b,
        async close() {
          await Promise.all([a.close(), b.close()]);
          await fresh.drop();
        },
      };
    },
  },
];

describe.each(backends)('outbox table on $name', (backend) => {
  let pair: Pair | undefined;
  let clock: ManualClock;
  let workerA: OutboxRepository;
  let workerB: OutboxRepository;
  beforeEach(async () => {
    pair = await backend.open();
    clock = manualClock(Date.UTC(2026, 0, 1));
    if (!pair) return;
    workerA = sqlOutboxRepository(pair.a.db, pair.a.scope, { clock, leaseMs: 60_000 });
    workerB = sqlOutboxRepository(pair.b.db, pair.b.scope, { clock, leaseMs: 60_000 });
  }, 60_000);
  afterEach(async () => {
    await pair?.close();
  });
  const run = (name: string, test: () => Promise<void>) =>
    it(name, async () => {
      if (!pair) return console.warn(`SKIPPED on ${backend.name}: ${name}`);
      await test();
    });

  run('two workers claiming at once get disjoint messages, and together all of them', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 30; i += 1)
      ids.push(await (i % 2 ? workerA : workerB).add(mail(`u${i}@example.com`, i)));
    const rounds = await Promise.all([workerA.claimDue(20), workerB.claimDue(20), workerA.claimDue(20)]);
    const claimed = rounds.flat().map((message) => message.id);
    expect(new Set(claimed).size).toBe(claimed.length);
    expect(claimed.sort()).toEqual([...ids].sort());
    // Leased: nothing is claimable again until the lease ends.
    expect(await workerB.claimDue(50)).toEqual([]);
  });

  run('a lease that ran out passes the message on; the old holder can no longer mark it', async () => {
    const id = await workerA.add(mail('lease@example.com'));
    const [held] = await workerA.claimDue(5);
    expect(held!.id).toBe(id);
    clock.advance(60_001);
    const [taken] = await workerB.claimDue(5);
    expect(taken!.id).toBe(id);
    await workerA.markSent(held!, 'late');
    expect((await workerA.find(id))!.state).toBe('pending');
    await workerB.markSent(taken!, 'on-time');
    const record = await workerA.find(id);
    expect(record).toMatchObject({ state: 'sent', attempts: 1, providerId: 'on-time' });
    expect(record!.content).toBeUndefined();
    expect(await workerA.claimDue(5)).toEqual([]);
  });

  run('retries after the back-off and dead-letters without the body', async () => {
    const id = await workerA.add(mail('retry@example.com'));
    const [first] = await workerA.claimDue(5);
    await workerA.markFailed(first!, { reason: 'ECONNREFUSED', retryAt: clock.now() + 30_000 });
    expect(await workerB.claimDue(5)).toEqual([]);
    clock.advance(30_000);
    const [second] = await workerB.claimDue(5);
    expect(second).toMatchObject({ id, attempts: 1 });
    await workerB.markFailed(second!, { reason: 'http_400' });
    const dead = await workerA.find(id);
    expect(dead).toMatchObject({ state: 'dead', attempts: 2, lastError: 'http_400' });
    expect(dead!.content).toBeUndefined();
    clock.advance(24 * 3600_000);
    expect(await workerA.claimDue(5)).toEqual([]);
  });

  run('a message written with a user commits with it, and rolls back with it', async () => {
    const users = sqlUsers(pair!.a.db, () => clock.now(), pair!.a.scope);
    const user = await users.create({ email: 'both@example.com', emailVerified: false }, async (created) => {
      await workerA.add(mail(created.email));
    });
    expect(user).toBeDefined();
    const failure = new Error('store down');
    await expect(
      users.create({ email: 'neither@example.com', emailVerified: false }, async (created) => {
        await workerA.add(mail(created.email));
        throw failure;
      }),
    ).rejects.toBe(failure);
    // A taken address: the row is refused, and what `within` would write never happens.
    const within = jest.fn(async () => void (await workerA.add(mail('both@example.com', 2))));
    expect(await users.create({ email: 'BOTH@example.com', emailVerified: false }, within)).toBeUndefined();
    expect(within).not.toHaveBeenCalled();

    expect(await users.findByEmail('neither@example.com')).toBeUndefined();
    const due = await workerB.claimDue(10);
    expect(due.map((message) => message.content.to)).toEqual(['both@example.com']);
  });

  run('refuses a message that is not one, and writes nothing', async () => {
    await expect(workerA.add({ channel: 'fax', to: 'x@example.com', text: 'x' } as never)).rejects.toThrow();
    await expect(workerA.add({ channel: 'sms', to: '', text: 'x' })).rejects.toThrow();
    expect(await workerA.claimDue(10)).toEqual([]);
  });
});
