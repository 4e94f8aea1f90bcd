import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { memoryLogger } from '@shieldwall/reference-app';
import { envelopeSealer } from '@shieldwall/wallet-crypto';
import { openDatabase, type Database, type DatabaseTarget } from '../src/db/open.js';
import { migrateToLatest } from '../src/db/migrate.js';
import { migrations as allMigrations } from '../src/db/migrations/index.js';
import { sqlUsers } from '../src/db/users.js';
import { sqlWallets } from '../src/db/wallets.js';
import { sqlLedger } from '../src/db/ledger.js';
import { sqlActivities } from '../src/db/activities.js';
import { sqlAppVersions } from '../src/db/app-versions.js';
import { createAppVersionKey } from '@shieldwall/key-exchange';
import { countSealedNotUnder, sqlSealedColumns } from '../src/db/sealed.js';
import { sealTotpSecret } from '../src/mfa-secrets.js';
import {
  freshPostgresDatabase,
  pgliteTarget,
  reachablePostgres,
  type FreshDatabase,
} from './helpers/database.js';

// Every repository against PGlite and against the real PostgreSQL (a fresh database per run, dropped after).

const day = 24 * 3600_000;
const sealer = (id = 'k1', fill = 1) => envelopeSealer({ keks: [{ id, key: Buffer.alloc(32, fill) }] });

interface Backend {
  name: string;
  target(): Promise<DatabaseTarget>;
  /** Where a restarted app finds the same data. */
  restartable(): Promise<{ target: DatabaseTarget; cleanup(): Promise<void> }>;
}

const pgliteBackend: Backend = {
  name: 'PGlite',
  target: pgliteTarget,
  async restartable() {
    const dir = mkdtempSync(join(tmpdir(), 'sw-pglite-'));
    return {
      target: { kind: 'pglite', dir },
      cleanup: async () => rmSync(dir, { recursive: true, force: true }),
    };
  },
};

let postgres: FreshDatabase | undefined;
let serverUrl: string | undefined;
const postgresBackend: Backend = {
  name: 'PostgreSQL',
  async target() {
    // One fresh database per run; each test gets its own schema in it through a search_path in the URL.
    const schema = `t_${randomUUID().replace(/-/g, '').slice(0, 12)}`;
    const admin = await openDatabase(
      { kind: 'postgres', url: postgres!.url, poolMax: 1, timeoutMs: 5000 },
      memoryLogger(),
    );
    await sql`create schema ${sql.id(schema)}`.execute(admin.db);
    await admin.close();
    return { kind: 'postgres', url: postgres!.url, poolMax: 5, timeoutMs: 5000, schema };
  },
  async restartable() {
    const fresh = await freshPostgresDatabase(serverUrl!);
    return {
      target: { kind: 'postgres', url: fresh.url, poolMax: 5, timeoutMs: 5000 },
      cleanup: () => fresh.drop(),
    };
  },
};

beforeAll(async () => {
  serverUrl = await reachablePostgres();
  if (serverUrl) postgres = await freshPostgresDatabase(serverUrl);
  else
    console.warn(
      'SKIPPED: repository tests on PostgreSQL (set DATABASE_URL to a reachable server to run them)',
    );
}, 60_000);
afterAll(async () => {
  await postgres?.drop();
});

describe.each([pgliteBackend, postgresBackend])('repositories on $name', (backend) => {
  let database: Database;
  const skip = () => backend === postgresBackend && !postgres;
  beforeEach(async () => {
    if (skip()) return;
    database = await openDatabase(await backend.target(), memoryLogger());
  });
  afterEach(async () => {
    if (!skip()) await database.close();
  });
  const users = () => sqlUsers(database.db);
  const count = async (table: 'users' | 'user_identities' | 'wallets' | 'mfa_bindings') =>
    Number(
      (
        await database.db
          .selectFrom(table)
          .select((eb) => eb.fn.countAll<string>().as('n'))
          .executeTakeFirstOrThrow()
      ).n,
    );

  it('migrates an empty database to the latest version; migrating again is a no-op', async () => {
    if (skip()) return;
    const applied = await database.db
      .selectFrom(sql.table('kysely_migration').as('m') as never)
      .select(sql<string>`name`.as('name'))
      .execute()
      .catch(() => undefined);
    expect(applied?.map((row) => row.name)).toEqual(Object.keys(allMigrations));
    expect(Object.keys(allMigrations)[0]).toBe('0001-initial');
    expect(await migrateToLatest(database.db as never)).toEqual([]);
    expect((await sqlActivities(database.db).list()).map((activity) => activity.id)).toEqual([
      'spring-bonus',
      'summer-cup',
      'welcome-quest',
    ]);
  });

  it('keeps e-mails unique case-insensitively: a second registration is refused and adds no row', async () => {
    if (skip()) return;
    const first = await users().create({ email: 'Jo@Example.com', emailVerified: false, passwordHash: 'h' });
    expect(first).toMatchObject({ email: 'jo@example.com', emailVerified: false, identities: [] });
    expect(first!.referralCode).toMatch(/^[0-9A-Z]{10}$/);
    expect(await users().create({ email: 'JO@example.COM', emailVerified: true })).toBeUndefined();
    expect(await count('users')).toBe(1);
    expect((await users().findByEmail('jO@eXample.com'))!.id).toBe(first!.id);
    // The constraint, not JavaScript, is what refuses: a raw insert with different case fails too.
    await expect(
      sql`insert into users (id, email, referral_code, created_at)
          values (${randomUUID()}, 'jo@example.com', 'ABCDEFGHJK', now())`.execute(database.db),
    ).rejects.toMatchObject({ code: '23505' });
    await expect(
      sql`insert into users (id, email, referral_code, created_at)
          values (${randomUUID()}, 'Upper@Example.com', 'ABCDEFGHJK', now())`.execute(database.db),
    ).rejects.toMatchObject({ code: '23514' });
  });

  it('leaves one row when the same e-mail registers concurrently', async () => {
    if (skip()) return;
    const results = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        users().create({ email: i % 2 ? 'race@example.com' : 'RACE@example.com', emailVerified: false }),
      ),
    );
    expect(results.filter(Boolean)).toHaveLength(1);
    expect(await count('users')).toBe(1);
  });

  it('links a provider identity to one account only, in one transaction', async () => {
    if (skip()) return;
    const owner = await users().create({
      email: 'a@example.com',
      emailVerified: true,
      identities: ['github:42'],
    });
    expect(owner!.identities).toEqual(['github:42']);
    expect((await users().findByIdentity('github:42'))!.id).toBe(owner!.id);
    // A second account claiming the identity: refused, and its user row rolled back with it.
    expect(
      await users().create({ email: 'b@example.com', emailVerified: true, identities: ['github:42'] }),
    ).toBeUndefined();
    expect(await users().findByEmail('b@example.com')).toBeUndefined();
    const other = await users().create({ email: 'c@example.com', emailVerified: true });
    expect(await users().update(other!.id, { identities: ['github:42'] })).toBeUndefined();
    expect((await users().findById(other!.id))!.identities).toEqual([]);
    // Concurrent links of one identity to one account: one row.
    const linked = await Promise.all(
      [1, 2, 3].map(() => users().update(other!.id, { identities: ['google:7'] })),
    );
    expect(linked.every((user) => user?.identities.includes('google:7'))).toBe(true);
    expect(await count('user_identities')).toBe(2);
  });

  it('keeps a verified phone number on one account only, and refuses a malformed or unverified one', async () => {
    if (skip()) return;
    const at = Date.UTC(2026, 0, 2);
    const phone = { number: '+447700900123', verifiedAt: at };
    const ada = (await users().create({ email: 'ada@example.com', emailVerified: true, phone }))!;
    expect(ada.phone).toEqual(phone);
    expect((await users().findByPhone('+447700900123'))!.id).toBe(ada.id);
    const bob = (await users().create({ email: 'bob@example.com', emailVerified: true }))!;
    expect(bob.phone).toBeUndefined();
    // Taken: refused, and neither row changes; a new account claiming it is not created.
    expect(await users().recordPhone(bob.id, { number: phone.number, verifiedAt: at + 1 })).toEqual({
      ok: false,
      reason: 'phone_in_use',
    });
    expect((await users().findById(bob.id))!.phone).toBeUndefined();
    expect((await users().findById(ada.id))!.phone).toEqual(phone);
    expect(await users().create({ email: 'cy@example.com', emailVerified: true, phone })).toBeUndefined();
    expect(await count('users')).toBe(2);
    expect(await users().recordPhone(randomUUID(), phone)).toEqual({ ok: false, reason: 'no_such_user' });
    // Racing for one free number: one account gets it.
    const raced = await Promise.all(
      [ada, bob].map((user) => users().recordPhone(user.id, { number: '+15551234567', verifiedAt: at })),
    );
    expect(raced.filter((result) => result.ok)).toHaveLength(1);
    // A new number replaces the old one, which is free again.
    const moved = await users().recordPhone(bob.id, { number: '+15550000001', verifiedAt: at + 2 });
    expect(moved).toMatchObject({
      ok: true,
      user: { phone: { number: '+15550000001', verifiedAt: at + 2 } },
    });
    // The constraints, not JavaScript: no malformed number, and no number without its verification time.
    for (const bad of [
      sql`update users set phone = '07700900123', phone_verified_at = now() where id = ${bob.id}`,
      sql`update users set phone = '+15550000002', phone_verified_at = null where id = ${bob.id}`,
    ])
      await expect(bad.execute(database.db)).rejects.toMatchObject({ code: '23514' });
  });

  it('updates passwords, verification and the MFA binding, and unbinds it', async () => {
    if (skip()) return;
    const user = (await users().create({ email: 'm@example.com', emailVerified: false, passwordHash: 'h' }))!;
    expect(await users().update(randomUUID(), { emailVerified: true })).toBeUndefined();
    const secret = await sealTotpSecret(sealer(), user.id, 'JBSWY3DPEHPK3PXP');
    const bound = await users().update(user.id, {
      emailVerified: true,
      passwordHash: undefined,
      mfa: { secret, deviceId: 'phone-1', enabledAt: 1_700_000_000_000 },
    });
    expect(bound).toMatchObject({
      emailVerified: true,
      mfa: { secret, deviceId: 'phone-1', enabledAt: 1_700_000_000_000 },
    });
    expect(bound!.passwordHash).toBeUndefined();
    const row = await database.db.selectFrom('mfa_bindings').selectAll().executeTakeFirstOrThrow();
    expect(row).toMatchObject({ kek_id: 'k1', version: 1, device_id: 'phone-1' });
    expect((await users().update(user.id, { mfa: undefined }))!.mfa).toBeUndefined();
    expect(await count('mfa_bindings')).toBe(0);
    // A value that is not a sealed envelope never reaches the table.
    await expect(
      users().update(user.id, { mfa: { secret: 'JBSWY3DPEHPK3PXP', deviceId: 'd', enabledAt: 1 } }),
    ).rejects.toThrow(/not a sealed envelope/);
    expect(await count('mfa_bindings')).toBe(0);
  });

  it('resolves referral codes and lists referrals oldest first', async () => {
    if (skip()) return;
    let now = 1_000;
    const repo = sqlUsers(database.db, () => (now += 1000));
    const referrer = (await repo.create({ email: 'r@example.com', emailVerified: true }))!;
    expect((await repo.findByReferralCode(referrer.referralCode))!.id).toBe(referrer.id);
    expect(await repo.findByReferralCode('ZZZZZZZZZZ')).toBeUndefined();
    for (const email of ['one@example.com', 'two@example.com'])
      await repo.create({ email, emailVerified: false, referredBy: referrer.id });
    expect((await repo.referredBy(referrer.id)).map((user) => user.email)).toEqual([
      'one@example.com',
      'two@example.com',
    ]);
    // A referrer that does not exist is refused by the foreign key, and nothing is written.
    await expect(
      repo.create({ email: 'x@example.com', emailVerified: false, referredBy: randomUUID() }),
    ).rejects.toMatchObject({ code: '23503' });
    expect(await repo.findByEmail('x@example.com')).toBeUndefined();
  });

  it('stores wallets with their KEK id, refuses a mismatched one, and finds only UUIDs', async () => {
    if (skip()) return;
    const user = (await users().create({ email: 'w@example.com', emailVerified: true }))!;
    const wallets = sqlWallets(database.db);
    const id = randomUUID();
    const sealedKey = await sealer().seal(Buffer.alloc(32, 7), { purpose: 'test' });
    const record = {
      id,
      userId: user.id,
      address: `0x${'ab'.repeat(20)}`,
      createdAt: 1_700_000_000_000,
      sealedKey,
    };
    await wallets.create(record);
    expect(await wallets.find(id)).toEqual(record);
    expect(await wallets.listByUser(user.id)).toEqual([record]);
    expect(await wallets.countByUser(user.id)).toBe(1);
    expect(await wallets.find("1' or '1'='1")).toBeUndefined();
    const stored = await database.db.selectFrom('wallets').selectAll().executeTakeFirstOrThrow();
    expect(stored).toMatchObject({ kek_id: 'k1', version: 1 });
    await expect(
      sql`update wallets set kek_id = 'k2' where id = ${id}::uuid`.execute(database.db),
    ).rejects.toMatchObject({ code: '23514' });
    await expect(wallets.create({ ...record, id: randomUUID() })).rejects.toMatchObject({ code: '23505' });
    expect(await count('wallets')).toBe(1);
  });

  it('re-wraps every sealed column with compare-and-set, and counts what is left under old KEKs', async () => {
    if (skip()) return;
    const user = (await users().create({ email: 's@example.com', emailVerified: true }))!;
    const old = sealer('k1', 1);
    const wallets = sqlWallets(database.db);
    const walletId = randomUUID();
    await wallets.create({
      id: walletId,
      userId: user.id,
      address: `0x${'cd'.repeat(20)}`,
      createdAt: 1,
      sealedKey: await old.seal(Buffer.alloc(32, 3), { purpose: 'test' }),
    });
    await users().update(user.id, {
      mfa: { secret: await sealTotpSecret(old, user.id, 'ABC'), deviceId: 'd', enabledAt: 1 },
    });
    const appKey = await createAppVersionKey({ platform: 'ios', version: '2.4.0', sealer: old });
    expect(await sqlAppVersions(database.db).addKey(appKey.entry, 1)).toBe(true);
    expect(await countSealedNotUnder(database.db, 'k2')).toEqual({
      'wallets.sealed_key': 1,
      'mfa_bindings.sealed_secret': 1,
      'app_version_keys.sealed_private_key': 1,
    });
    const ring = envelopeSealer({
      keks: [
        { id: 'k2', key: Buffer.alloc(32, 2) },
        { id: 'k1', key: Buffer.alloc(32, 1) },
      ],
    });
    for (const column of sqlSealedColumns(database.db)) {
      const rows = [];
      for await (const row of column.scan(undefined)) rows.push(row);
      expect(rows).toHaveLength(1);
      const next = await ring.rewrap(rows[0]!.sealed);
      expect(await column.replace(rows[0]!.id, 'stale value', next)).toBe(false);
      expect(await column.replace(rows[0]!.id, rows[0]!.sealed, next)).toBe(true);
      const after = [];
      for await (const row of column.scan(rows[0]!.id)) after.push(row);
      expect(after).toEqual([]);
    }
    expect(await countSealedNotUnder(database.db, 'k2')).toEqual({
      'wallets.sealed_key': 0,
      'mfa_bindings.sealed_secret': 0,
      'app_version_keys.sealed_private_key': 0,
    });
    // The re-wrapped app key still opens, under the new KEK, with its context.
    const [rewrapped] = (await sqlAppVersions(database.db).load()).keys;
    expect(rewrapped!.privateKey.startsWith('swe1.k2.')).toBe(true);
    expect(
      (await ring.open(rewrapped!.privateKey, { purpose: 'key-exchange/app-key', kid: appKey.entry.kid }))
        .length,
    ).toBeGreaterThan(1000);
    expect(
      (await database.db.selectFrom('wallets').select('version').executeTakeFirstOrThrow()).version,
    ).toBe(2);
  });

  it('sums the 30-day volume in SQL and refuses non-positive amounts', async () => {
    if (skip()) return;
    const user = (await users().create({ email: 'l@example.com', emailVerified: true }))!;
    const ledger = sqlLedger(database.db);
    const now = 1_800_000_000_000;
    await ledger.record({ userId: user.id, amount: 500, kind: 'trade', at: now - 30 * day - 1 });
    await ledger.record({ userId: user.id, amount: 250, kind: 'deposit', at: now - 29 * day });
    await ledger.record({ userId: user.id, amount: 100, kind: 'trade', at: now });
    await ledger.record({ userId: user.id, amount: 900, kind: 'trade', at: now + 1 });
    expect(await ledger.volume30d(user.id, now)).toBe(350);
    await expect(ledger.record({ userId: user.id, amount: 0, kind: 'trade', at: now })).rejects.toMatchObject(
      {
        code: '23514',
      },
    );
    await expect(
      ledger.record({ userId: user.id, amount: 1, kind: 'gift' as never, at: now }),
    ).rejects.toMatchObject({ code: '23514' });
    expect(await ledger.volume30d(user.id, now)).toBe(350);
  });

  it('records who joined an activity once', async () => {
    if (skip()) return;
    const user = (await users().create({ email: 'j@example.com', emailVerified: true }))!;
    const activities = sqlActivities(database.db);
    expect(await activities.find('spring-bonus')).toEqual({
      id: 'spring-bonus',
      title: 'Spring bonus',
      threshold: 100_000,
    });
    expect(await activities.find('nope')).toBeUndefined();
    expect(await activities.join('spring-bonus', user.id, 5000)).toBe(true);
    expect(await activities.join('spring-bonus', user.id, 6000)).toBe(false);
    expect(await activities.joinedAt('spring-bonus', user.id)).toBe(5000);
  });

  it('keeps its data across a restart on the same storage', async () => {
    if (skip()) return;
    const { target, cleanup } = await backend.restartable();
    try {
      const first = await openDatabase(target, memoryLogger());
      const created = await sqlUsers(first.db).create({ email: 'keep@example.com', emailVerified: true });
      await first.close();
      const again = await openDatabase(target, memoryLogger());
      expect(await sqlUsers(again.db).findByEmail('keep@example.com')).toEqual(created);
      await again.close();
    } finally {
      await cleanup();
    }
  }, 120_000);
});

describe('two instances on one PostgreSQL database', () => {
  it('migrate once when they start together, and see each other’s writes', async () => {
    if (!serverUrl) return console.warn('SKIPPED: no PostgreSQL at DATABASE_URL');
    const fresh = await freshPostgresDatabase(serverUrl);
    try {
      const target: DatabaseTarget = { kind: 'postgres', url: fresh.url, poolMax: 3, timeoutMs: 5000 };
      const [a, b] = await Promise.all([
        openDatabase(target, memoryLogger()),
        openDatabase(target, memoryLogger()),
      ]);
      const created = await sqlUsers(a.db).create({ email: 'both@example.com', emailVerified: true });
      expect(await sqlUsers(b.db).findByEmail('both@example.com')).toEqual(created);
      const migrations = await sql<{ n: string }>`select count(*) as n from kysely_migration`.execute(b.db);
      expect(Number(migrations.rows[0]!.n)).toBe(Object.keys(allMigrations).length);
      await Promise.all([a.close(), b.close()]);
    } finally {
      await fresh.drop();
    }
  });
});
