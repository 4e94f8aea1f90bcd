import { createHash, randomBytes } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { connect } from 'node:net';
import { listen, type RunningServer } from '../helpers/http.js';
import { appDir, freePort, spawnApp, type SpawnedApp } from '../startup/spawn-app';
import { buildOnce } from './build';

// The build (esbuild, a few seconds) and PGlite's first start are slow on a busy machine.
jest.setTimeout(240_000);

const publicOrigin = 'https://app.example.test';
const shutdownTimeoutMs = 8000;
const password = 'correct horse battery staple 42';
const secret = (): string => randomBytes(32).toString('base64');

/**
 * A Turnstile siteverify on loopback that passes every token; while `hold` is set it keeps each call waiting until
 * released, so a test knows a request is in flight inside the app (and stays there) when it signals the process.
 */
interface Siteverify {
  server: RunningServer;
  hold: boolean;
  held: ServerResponse[];
  arrived: Promise<void>;
  release(): void;
}

async function siteverify(): Promise<Siteverify> {
  let arrivedNow = (): void => undefined;
  const answer = (res: ServerResponse): void => {
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.end(
      JSON.stringify({
        success: true,
        hostname: new URL(publicOrigin).hostname,
        action: 'register',
        challenge_ts: new Date().toISOString(),
        'error-codes': [],
      }),
    );
  };
  const fake: Siteverify = {
    server: await listen((req, res) => {
      req.resume();
      req.on('end', () => {
        if (!fake.hold) return answer(res);
        fake.held.push(res);
        arrivedNow();
      });
    }),
    hold: false,
    held: [],
    arrived: Promise.resolve(),
    release() {
      fake.hold = false;
      for (const res of fake.held.splice(0)) answer(res);
    },
  };
  fake.arrived = new Promise<void>((resolve) => (arrivedNow = resolve));
  return fake;
}

/** The headers a TLS proxy in front of the app adds (TRUST_PROXY=loopback), and a browser's same-origin POST. */
const viaProxy = { 'X-Forwarded-Proto': 'https', Origin: publicOrigin };

function refusesConnections(port: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve('connected');
    });
    socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
  });
}

describe('the production build: node dist/server.js', () => {
  let provider: Siteverify;
  let app: SpawnedApp | undefined;
  let base: string;

  beforeAll(async () => {
    await buildOnce();
    provider = await siteverify();
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    // No tsx, no loader, no TypeScript: what `npm run start:prod` runs. PGlite under DATA_DIR (spawnApp's temp
    // folder), the in-memory store: the build's externals (PGlite's wasm, esbuild) are exercised for real.
    app = spawnApp(
      {
        NODE_ENV: 'production',
        PORT: String(port),
        PUBLIC_ORIGIN: publicOrigin,
        JWT_SECRETS: `p1:${secret()}`,
        WALLET_KEKS: `w1:${secret()}`,
        CAPTCHA_PROVIDER: 'turnstile',
        CAPTCHA_SECRET: 'turnstile-secret',
        CAPTCHA_SITE_KEY: 'turnstile-site-key',
        CAPTCHA_VERIFY_URL: `${provider.server.url}/siteverify`,
        TRUST_PROXY: 'loopback',
        // Nothing listens there: mail stays in the outbox, which this test does not read.
        SMTP_URL: 'smtp://127.0.0.1:1',
        MAIL_FROM: 'Shieldwall <no-reply@example.test>',
        SMS_ROUTES: 'off',
        SHUTDOWN_TIMEOUT_MS: String(shutdownTimeoutMs),
      },
      { cmd: process.execPath, args: ['dist/server.js'], cwd: appDir },
    );
    await app.waitForOutput('"message":"listening"');
  });
  afterAll(async () => {
    provider?.release();
    await app?.cleanup();
    await provider?.server.close();
  });

  const register = (email: string) =>
    fetch(`${base}/api/auth/register`, {
      method: 'POST',
      // A fresh token each time: the gate refuses a token it has seen (replay), without asking the provider.
      headers: { ...viaProxy, 'Content-Type': 'application/json', 'X-Captcha-Token': secret() },
      body: JSON.stringify({ email, password }),
    });

  it('is ready, and a page renders with its script and stylesheet, whose integrity matches', async () => {
    expect((await fetch(`${base}/readyz`, { headers: viaProxy })).status).toBe(200);
    const page = await fetch(`${base}/signin`, { headers: viaProxy });
    expect(page.status).toBe(200);
    const html = await page.text();
    const tags = [...html.matchAll(/(?:src|href)="(\/assets\/[^"]+)" integrity="([^"]+)"/g)];
    expect(tags.map(([, path]) => path!.replace(/\.[0-9a-f]{16}\./, '.'))).toEqual(
      expect.arrayContaining(['/assets/app.css', '/assets/signin.js']),
    );
    for (const [, path, integrity] of tags) {
      const asset = await fetch(`${base}${path!}`, { headers: viaProxy });
      expect(asset.status).toBe(200);
      const body = Buffer.from(await asset.arrayBuffer());
      expect(`sha384-${createHash('sha384').update(body).digest('base64')}`).toBe(integrity);
    }
  });

  it('registers and signs in (bcrypt in worker threads, PGlite, the CAPTCHA gate)', async () => {
    expect((await register('prod@example.test')).status).toBe(202);
    const login = await fetch(`${base}/api/auth/login`, {
      method: 'POST',
      headers: { ...viaProxy, 'Content-Type': 'application/json' },
      body: JSON.stringify({ email: 'prod@example.test', password }),
    });
    expect(login.status).toBe(200);
    expect(((await login.json()) as { user: { email: string } }).user.email).toBe('prod@example.test');
    expect(login.headers.getSetCookie().length).toBeGreaterThan(0);
    const wrong = await fetch(`${base}/api/auth/login`, {
      method: 'POST',
      headers: { ...viaProxy, 'Content-Type': 'application/json' },
      body: JSON.stringify({ email: 'prod@example.test', password: `${password}!` }),
    });
    expect(wrong.status).toBe(401);
  });

  it('on SIGTERM finishes the request in flight, refuses new connections and exits 0 in time', async () => {
    const running = app!;
    const port = Number(new URL(base).port);
    provider.hold = true;
    const inFlight = register('in-flight@example.test');
    // The app is now inside the request, waiting on the CAPTCHA provider (or it answered without asking: say so).
    const early = await Promise.race([
      provider.arrived.then(() => undefined),
      inFlight.then(async (res) => `${res.status} ${await res.text()}`),
    ]);
    expect(early).toBeUndefined();
    const signalled = Date.now();
    running.child.kill('SIGTERM');
    await running.waitForOutput('"message":"shutting down"');
    expect(await refusesConnections(port)).toBe('ECONNREFUSED');
    expect(running.child.exitCode).toBeNull();

    provider.release();
    const response = await inFlight;
    expect(response.status).toBe(202);
    expect(await running.exited).toBe(0);
    expect(Date.now() - signalled).toBeLessThan(shutdownTimeoutMs);
    expect(running.stdout()).toContain('"requests":"drained"');
    expect(running.stderr()).toBe('');
  });
});
