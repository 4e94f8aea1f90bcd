import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { memoryStore, type Store } from '@shieldwall/core';
import { createAppVersionKey } from '@shieldwall/key-exchange';
import { createKeyExchangeClient } from '@shieldwall/key-exchange/client';
import { envelopeSealer } from '@shieldwall/wallet-crypto';
import { runAppVersionsCommand, UsageError } from '../../src/db/app-versions-command.js';
import type { DatabaseTarget } from '../../src/db/open.js';
import { listen, type RunningServer } from '../helpers/http.js';
import { pgliteTarget } from '../helpers/database.js';
import { startTestApp, type TestApp } from '../helpers/reference-app.js';
import { fastHashing } from './auth-helpers.js';

// Issue 13: the mobile app-version registry in the database. Two instances on one database; the CLI's command
// (the function `pnpm app-versions` runs) forces an upgrade, and both instances refuse the old build within
// APP_VERSIONS_REFRESH_MS, with no restart: new handshakes and channels already open.

const refreshMs = 200;
const kek = randomBytes(32);
const env = {
  ...fastHashing,
  WALLET_KEKS: `w1:${kek.toString('base64')}`,
  APP_VERSIONS_REFRESH_MS: String(refreshMs),
};

describe('reference app: the mobile app-version registry in the database', () => {
  let target: DatabaseTarget;
  let store: Store;
  let dir: string;
  const apps: TestApp[] = [];
  const servers: RunningServer[] = [];

  beforeEach(async () => {
    target = await pgliteTarget();
    store = memoryStore();
    dir = mkdtempSync(join(tmpdir(), 'sw-app-versions-'));
  });
  afterEach(async () => {
    for (const server of servers.splice(0)) await server.close();
    for (const app of apps.splice(0)) await app.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function start(extra: Record<string, string> = {}): Promise<{ t: TestApp; url: string }> {
    const t = await startTestApp({ ...env, ...extra }, { databaseTarget: target, store });
    apps.push(t);
    const server = await listen(t.app);
    servers.push(server);
    return { t, url: server.url };
  }

  /** Polls until `probe` holds, returning how long it took; fails past `limitMs`. */
  async function within(limitMs: number, probe: () => Promise<boolean>): Promise<number> {
    const started = Date.now();
    while (!(await probe())) {
      if (Date.now() - started > limitMs) throw new Error(`not within ${limitMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    return Date.now() - started;
  }

  it('forces an upgrade on every instance within the refresh interval, with one command and no restart', async () => {
    const sealer = envelopeSealer({ keks: [{ id: 'w1', key: kek }] });
    const old = await createAppVersionKey({ platform: 'android', version: '3.0.2', sealer });
    const current = await createAppVersionKey({ platform: 'android', version: '3.1.0', sealer });
    const file = join(dir, 'mobile-app-keys.json');
    writeFileSync(file, JSON.stringify({ keys: [old.entry, current.entry] }));

    // A merges the file into the database at start; B reads the registry from the database alone.
    const a = await start({ MOBILE_APP_KEYS_FILE: file });
    const b = await start();
    const db = a.t.services.database.db;
    const client = (url: string, key = old) =>
      createKeyExchangeClient({
        baseUrl: url,
        app: { platform: 'android', version: key.entry.version, publicKey: key.publicJwk },
      });
    const echo = async (c: ReturnType<typeof client>) =>
      (await c.fetch('/api/security/echo', { method: 'POST', body: { hi: 1 } })).status;
    const openOnB = client(b.url);
    expect(await echo(openOnB)).toBe(200);
    expect(await echo(client(a.url))).toBe(200);

    const summary = await runAppVersionsCommand(db, ['set-minimum', 'android', '3.1.0'], Date.now());
    expect(summary.minVersions).toEqual({ android: '3.1.0' });
    const refusesOld = (url: string) => async () => {
      try {
        await client(url).establish();
        return false;
      } catch (error) {
        return (error as { code?: string }).code === 'upgrade_required';
      }
    };
    // The bound: one refresh interval plus a read; a second of slack for a loaded machine.
    expect(await within(refreshMs + 1000, refusesOld(a.url))).toBeLessThanOrEqual(refreshMs + 1000);
    expect(await within(refreshMs + 1000, refusesOld(b.url))).toBeLessThanOrEqual(refreshMs + 1000);
    // The channel B opened before is refused too, with where to go; the current build works everywhere.
    const late = await openOnB.fetch('/api/security/echo', { method: 'POST', body: { hi: 2 } });
    expect(late.status).toBe(426);
    expect(await late.json()).toMatchObject({ error: { code: 'upgrade_required', minVersion: '3.1.0' } });
    expect(await echo(client(a.url, current))).toBe(200);
    expect(await echo(client(b.url, current))).toBe(200);

    // One build withdrawn, then restored.
    await runAppVersionsCommand(db, ['revoke', 'android', '3.1.0'], Date.now());
    const refusesCurrent = (url: string) => async () => {
      try {
        await client(url, current).establish();
        return false;
      } catch (error) {
        return (error as { status?: number }).status === 426;
      }
    };
    await within(refreshMs + 1000, refusesCurrent(b.url));
    await runAppVersionsCommand(db, ['restore', 'android', '3.1.0'], Date.now());
    await within(refreshMs + 1000, async () => !(await refusesCurrent(a.url)()));

    // A restart with the old file does not undo the forced upgrade: the file only ever tightens.
    await start({ MOBILE_APP_KEYS_FILE: file });
    expect((await runAppVersionsCommand(db, ['list'], Date.now())).minVersions).toEqual({ android: '3.1.0' });
  });

  it('refuses a malformed command with the usage, changing nothing', async () => {
    const { t } = await start();
    const db = t.services.database.db;
    const before = await runAppVersionsCommand(db, ['list'], Date.now());
    for (const args of [
      ['set-minimum', 'Android', '3.1.0'],
      ['set-minimum', 'android', '3.1.0-beta'],
      ['revoke', 'android'],
      ['upgrade-url', 'android', 'not a url'],
      ['raise', 'android', '3.1.0'],
      [],
    ])
      await expect(runAppVersionsCommand(db, args, Date.now())).rejects.toBeInstanceOf(UsageError);
    expect(await runAppVersionsCommand(db, ['list'], Date.now())).toEqual(before);
  });
});
