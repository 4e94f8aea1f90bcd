import { sql } from 'kysely';
import type { Logger } from '@shieldwall/core';
import { createReferenceApp, loadConfig } from '@shieldwall/reference-app';
import { openDatabase, type DatabaseTarget } from '../../examples/reference-app/src/db/open.js';
import type { BenchRequest, HttpScenario } from '../types.js';

// Issue 13's closing figures: the whole reference app on its database, registering (a user row and its
// verification e-mail in the outbox, one transaction), signing in (a user read by e-mail, a refresh family) and
// reading GET /api/auth/me (the user, its identities and MFA binding in one query), on the embedded PGlite (in
// memory) and on PostgreSQL at DATABASE_URL (a `sw_bench` schema, dropped and made again at each start). bcrypt
// runs at cost 4, so what is measured is the app and its database, not the password hash (at cost 12 a sign-in is
// bcrypt-bound: see login-storm). Every request comes from its own client address (X-Forwarded-For from loopback,
// TRUST_PROXY=loopback) so the per-IP budgets do not refuse a benchmark that is one machine; sign-ins cycle through
// enough accounts that none passes the per-account budget (10 per 15 minutes).

const quiet: Logger = { info() {}, warn() {}, error() {} };
const accounts = 600;
const password = 'correct horse battery staple';
let sequence = 0;
const nextIp = (): string => {
  sequence += 1;
  return `10.${(sequence >> 16) & 255}.${(sequence >> 8) & 255}.${sequence & 255}`;
};

type Backend = 'pglite' | 'postgres';

async function targetOf(backend: Backend): Promise<DatabaseTarget> {
  if (backend === 'pglite') return { kind: 'pglite' };
  const url = process.env.DATABASE_URL;
  if (!url) throw new Error('the PostgreSQL database scenarios need DATABASE_URL');
  const admin = await openDatabase({ kind: 'postgres', url, poolMax: 1, timeoutMs: 10_000 }, quiet);
  await sql`drop schema if exists sw_bench cascade`.execute(admin.db);
  await sql`create schema sw_bench`.execute(admin.db);
  await admin.close();
  return { kind: 'postgres', url, poolMax: 10, timeoutMs: 5000, schema: 'sw_bench' };
}

async function createApp(backend: Backend) {
  const config = loadConfig(
    { NODE_ENV: 'test', BCRYPT_COST: '4', TRUST_PROXY: 'loopback' },
    { persistDevSecrets: false },
  );
  const { app } = await createReferenceApp(config, {
    logger: quiet,
    databaseTarget: await targetOf(backend),
  });
  return app;
}

const json = (path: string, body: object): BenchRequest => ({
  method: 'POST',
  path,
  headers: { 'content-type': 'application/json', 'x-forwarded-for': nextIp() },
  body: JSON.stringify(body),
});

async function send(baseUrl: string, request: BenchRequest): Promise<Response> {
  return fetch(`${baseUrl}${request.path}`, {
    method: request.method,
    headers: request.headers ?? {},
    ...(request.body ? { body: request.body } : {}),
  });
}

const emailOf = (i: number): string => `bench-${i}@example.com`;

async function register(baseUrl: string, count: number): Promise<void> {
  for (let i = 0; i < count; i += 1) {
    const res = await send(baseUrl, json('/api/auth/register', { email: emailOf(i), password }));
    if (res.status !== 202) throw new Error(`register answered ${res.status}`);
  }
}

function scenariosOf(backend: Backend): HttpScenario[] {
  const group = `database-${backend}`;
  const on = backend === 'pglite' ? 'PGlite (in memory)' : 'PostgreSQL (DATABASE_URL)';
  return [
    {
      kind: 'http',
      name: `register-${backend}`,
      group,
      baseline: true,
      description: `POST /api/auth/register, a new address each time, on ${on}`,
      createApp: () => createApp(backend),
      prepare: () => {
        let n = 0;
        const run = `${process.pid}-${Date.now()}`;
        return Promise.resolve(() => {
          n += 1;
          return json('/api/auth/register', { email: `new-${run}-${n}@example.com`, password });
        });
      },
    },
    {
      kind: 'http',
      name: `login-${backend}`,
      group,
      description: `POST /api/auth/login, cycling through ${accounts} accounts, on ${on}`,
      createApp: () => createApp(backend),
      async prepare(baseUrl) {
        await register(baseUrl, accounts);
        let n = 0;
        return () => {
          n += 1;
          return json('/api/auth/login', { email: emailOf(n % accounts), password });
        };
      },
    },
    {
      kind: 'http',
      name: `me-${backend}`,
      group,
      description: `GET /api/auth/me, signed in, on ${on}`,
      createApp: () => createApp(backend),
      async prepare(baseUrl) {
        await register(baseUrl, 1);
        const login = await send(baseUrl, json('/api/auth/login', { email: emailOf(0), password }));
        const access = login.headers
          .getSetCookie()
          .map((cookie) => cookie.split(';')[0]!)
          .find((pair) => pair.startsWith('at='));
        if (login.status !== 200 || !access) throw new Error(`login answered ${login.status}`);
        return () => ({
          method: 'GET',
          path: '/api/auth/me',
          headers: { cookie: access, 'x-forwarded-for': nextIp() },
        });
      },
    },
  ];
}

// Without DATABASE_URL (a plain `pnpm bench` on a laptop) only the PGlite ones run; .ci/run always sets it.
export const scenarios: HttpScenario[] = [
  ...scenariosOf('pglite'),
  ...(process.env.DATABASE_URL ? scenariosOf('postgres') : []),
];
