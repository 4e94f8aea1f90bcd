import { createServer, connect, type Server, type Socket } from 'node:net';
import { startTestApp, type TestApp } from './helpers/reference-app.js';
import { freshPostgresDatabase, reachablePostgres, type FreshDatabase } from './helpers/database.js';

// The database going away under a running app, through a TCP proxy on loopback that the test cuts, stalls and
// restores: requests that need the database answer 503 store_unavailable, nothing is half-written, /readyz says
// so while /healthz stays up, and the app recovers by itself when the database is back.

interface Proxy {
  url: string;
  cut(): Promise<void>;
  stall(): void;
  restore(): Promise<void>;
  close(): Promise<void>;
}

async function proxyTo(target: URL): Promise<Proxy> {
  const sockets = new Set<Socket>();
  let mode: 'pass' | 'stall' = 'pass';
  let server: Server;
  let port = 0;
  const listen = () =>
    new Promise<void>((resolve) => {
      server = createServer((client) => {
        sockets.add(client);
        client.on('close', () => sockets.delete(client));
        client.on('error', () => client.destroy());
        // Stalled: the connection is accepted and then nothing ever answers.
        if (mode === 'stall') return;
        const upstream = connect(Number(target.port || 5432), target.hostname);
        sockets.add(upstream);
        upstream.on('close', () => sockets.delete(upstream));
        upstream.on('error', () => client.destroy());
        client.on('close', () => upstream.destroy());
        upstream.on('close', () => client.destroy());
        client.pipe(upstream).pipe(client);
      });
      server.listen(port, '127.0.0.1', () => {
        port = (server.address() as { port: number }).port;
        resolve();
      });
    });
  const dropAll = () => {
    for (const socket of sockets) socket.destroy();
  };
  await listen();
  const url = new URL(target);
  url.host = `127.0.0.1:${port}`;
  return {
    url: url.toString(),
    async cut() {
      dropAll();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
    stall() {
      mode = 'stall';
      dropAll();
    },
    async restore() {
      mode = 'pass';
      if (!server.listening) await listen();
    },
    async close() {
      dropAll();
      if (server.listening) await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

describe('reference app: the database goes away and comes back', () => {
  let serverUrl: string | undefined;
  let database: FreshDatabase | undefined;
  let proxy: Proxy;
  let t: TestApp;
  const password = 'correct horse battery staple';
  beforeAll(async () => {
    serverUrl = await reachablePostgres();
    if (!serverUrl)
      console.warn('SKIPPED: database fault tests (set DATABASE_URL to a reachable PostgreSQL)');
  });
  beforeEach(async () => {
    if (!serverUrl) return;
    database = await freshPostgresDatabase(serverUrl);
    proxy = await proxyTo(new URL(database.url));
    t = await startTestApp({
      BCRYPT_COST: '4',
      DATABASE_URL: proxy.url,
      DATABASE_TIMEOUT_MS: '300',
      DATABASE_POOL_MAX: '2',
    });
    await t.request.post('/api/auth/register').send({ email: 'jo@example.com', password }).expect(202);
  }, 60_000);
  afterEach(async () => {
    if (!serverUrl) return;
    await t.close();
    await proxy.close();
    await database!.drop();
  });

  const login = () => t.request.post('/api/auth/login').send({ email: 'jo@example.com', password });
  const register = (email: string) => t.request.post('/api/auth/register').send({ email, password });

  it('answers 503 store_unavailable while it is down, writes nothing, and recovers by itself', async () => {
    if (!serverUrl) return;
    await proxy.cut();
    for (const res of [await login(), await register('new@example.com')]) {
      expect(res.status).toBe(503);
      expect(res.body.error.code).toBe('store_unavailable');
      expect(res.text).not.toMatch(/ECONN|postgres|127\.0\.0\.1/);
    }
    const ready = await t.request.get('/readyz').expect(503);
    expect(ready.body.error).toMatchObject({ code: 'store_unavailable', database: 'down', store: 'up' });
    await t.request.get('/healthz').expect(200);

    await proxy.restore();
    expect((await login()).status).toBe(200);
    await t.request.get('/readyz').expect(200);
    expect(await t.services.users.findByEmail('new@example.com')).toBeUndefined();
    expect(await t.services.users.count()).toBe(1);
  }, 60_000);

  it('answers 503 store_unavailable when the database stalls, within its timeouts, then recovers', async () => {
    if (!serverUrl) return;
    proxy.stall();
    const res = await login();
    expect(res.status).toBe(503);
    expect(res.body.error.code).toBe('store_unavailable');
    await proxy.restore();
    expect((await login()).status).toBe(200);
  }, 60_000);
});
