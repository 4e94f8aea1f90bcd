import { randomBytes } from 'node:crypto';
import type { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import type { DatabaseTarget } from '../../src/db/open.js';
import { createPGlite } from './pglite-template.js';

// One PGlite per test file (starting one costs seconds of CPU, fewer from the template in pglite-template.ts), each
// app in it on its own fresh schema: apps see only their own rows, and every test still runs the real migrations
// and SQL.
let shared: Promise<PGlite> | undefined;
let schemas = 0;

declare const beforeAll: ((fn: () => Promise<void>, timeout?: number) => void) | undefined;
declare const afterAll: ((fn: () => Promise<void>) => void) | undefined;
if (typeof beforeAll === 'function') {
  // Started once before the file's tests, under its own generous timeout: on a busy machine the WebAssembly
  // start-up alone can take longer than one test's budget.
  beforeAll(async () => {
    shared ??= createPGlite();
    await shared;
  }, 180_000);
}
if (typeof afterAll === 'function') {
  afterAll(async () => {
    const pglite = await shared;
    shared = undefined;
    await pglite?.close();
  });
}

/** A fresh, empty schema in this test file's PGlite, for `createServices` / `startTestApp`'s `databaseTarget`. */
export async function pgliteTarget(): Promise<DatabaseTarget> {
  shared ??= createPGlite();
  schemas += 1;
  return { kind: 'pglite-shared', pglite: await shared, schema: `app_${schemas}` };
}

/** DATABASE_URL when a PostgreSQL server answers there, else undefined (the caller skips, visibly). */
export async function reachablePostgres(): Promise<string | undefined> {
  const url = process.env.DATABASE_URL;
  if (!url) return undefined;
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    await client.query('select 1');
    return url;
  } catch {
    return undefined;
  } finally {
    await client.end().catch(() => undefined);
  }
}

export interface FreshDatabase {
  url: string;
  drop(): Promise<void>;
}

/** A new, uniquely named database on the server of `serverUrl`, created now and dropped by `drop()`. */
export async function freshPostgresDatabase(serverUrl: string): Promise<FreshDatabase> {
  const name = `sw_test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  try {
    await admin.query(`create database ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const client = new pg.Client({ connectionString: serverUrl });
      await client.connect();
      try {
        await client.query(`drop database if exists ${name} with (force)`);
      } finally {
        await client.end();
      }
    },
  };
}
