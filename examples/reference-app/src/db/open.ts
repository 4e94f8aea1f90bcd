import { mkdirSync } from 'node:fs';
import { PGlite } from '@electric-sql/pglite';
import { Kysely, PostgresDialect, sql, type Dialect } from 'kysely';
import pg from 'pg';
import type { Logger } from '@shieldwall/core';
import { migrateToLatest } from './migrate.js';
import { pgliteDialect } from './pglite-dialect.js';
import type { Db } from './schema.js';
import { transactionScope, type TransactionScope } from './transaction-scope.js';
import { outagesAsUnavailable } from './unavailable.js';

export type DatabaseTarget =
  /** PostgreSQL through DATABASE_URL. */
  | { kind: 'postgres'; url: string; poolMax: number; timeoutMs: number; schema?: string }
  /** PGlite in this process: under `dir`, or in memory without one. */
  | { kind: 'pglite'; dir?: string }
  /** An open PGlite shared by several apps, each in its own schema (tests). */
  | { kind: 'pglite-shared'; pglite: PGlite; schema: string };

export interface Database {
  db: Db;
  kind: 'postgres' | 'pglite';
  /** The transaction a change is written in, for the writes that must commit with it (outbox messages). */
  scope: TransactionScope;
  /** Resolves when the database answers a query; rejects with 503 store_unavailable otherwise. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

function postgresPool(target: Extract<DatabaseTarget, { kind: 'postgres' }>, logger: Logger): pg.Pool {
  const pool = new pg.Pool({
    connectionString: target.url,
    // Bounded: a stalled database queues requests for at most timeoutMs, then they answer 503.
    max: target.poolMax,
    connectionTimeoutMillis: target.timeoutMs,
    idleTimeoutMillis: 30_000,
    // Server-side limits, so a slow statement or a forgotten transaction cannot hold rows or connections...
    statement_timeout: target.timeoutMs,
    lock_timeout: target.timeoutMs,
    idle_in_transaction_session_timeout: target.timeoutMs * 2,
    // ...and a client-side one for when the network, not the server, is what stalls.
    query_timeout: target.timeoutMs + 1_000,
    keepAlive: true,
    application_name: 'shieldwall-reference-app',
    // Tests may put each run in its own schema of one database.
    ...(target.schema ? { options: `-c search_path=${target.schema}` } : {}),
  });
  // An idle connection that dies (restart, failover) is dropped from the pool; the next query opens a new one.
  pool.on('error', (error) => logger.warn('database connection lost', { error: error.message }));
  // A connection lost while checked out (a query in flight: the outbox worker's poll, a request) emits 'error' on
  // its client, where the pool listens only while it is idle: without this listener that is an uncaught exception
  // that ends the process. The query itself fails (503 store_unavailable) and the client is discarded on release.
  pool.on('connect', (client) =>
    client.on('error', (error) => logger.warn('database connection lost', { error: error.message })),
  );
  return pool;
}

/**
 * Opens the app's database and brings its schema to the latest migration. PostgreSQL when DATABASE_URL is set;
 * otherwise PGlite (the same PostgreSQL, compiled to WebAssembly) under `<DATA_DIR>/pglite`, so `npm start` needs
 * nothing installed and keeps its data across restarts. Both run the same migrations and the same SQL.
 */
export async function openDatabase(target: DatabaseTarget, logger: Logger): Promise<Database> {
  let dialect: Dialect;
  let closeDriver: () => Promise<void> = async () => {};
  let kind: Database['kind'] = 'pglite';
  if (target.kind === 'postgres') {
    kind = 'postgres';
    const pool = postgresPool(target, logger);
    dialect = new PostgresDialect({ pool });
  } else if (target.kind === 'pglite') {
    if (target.dir) mkdirSync(target.dir, { recursive: true, mode: 0o700 });
    const pglite = await PGlite.create(target.dir ? { dataDir: target.dir } : {});
    dialect = pgliteDialect(pglite);
    closeDriver = () => pglite.close();
  } else {
    await target.pglite.query(`create schema if not exists "${target.schema.replace(/"/g, '""')}"`);
    dialect = pgliteDialect(target.pglite, { schema: target.schema });
  }
  const db: Db = new Kysely({ dialect: outagesAsUnavailable(dialect) });
  try {
    const applied = await migrateToLatest(
      db as Kysely<unknown>,
      target.kind === 'pglite-shared' || target.kind === 'postgres' ? target.schema : undefined,
    );
    if (applied.length > 0) logger.info('database migrated', { applied });
  } catch (error) {
    await db.destroy();
    await closeDriver();
    throw error;
  }
  return {
    db,
    kind,
    scope: transactionScope(db),
    async ping() {
      await sql`select 1`.execute(db);
    },
    async close() {
      await db.destroy();
      await closeDriver();
    },
  };
}
