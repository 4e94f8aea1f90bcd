import { randomUUID } from 'node:crypto';
import { memoryStore, type Store } from '@shieldwall/core';
import { envelopeSealer, parseEnvelope } from '@shieldwall/wallet-crypto';
import { loadConfig, memoryLogger, type MemoryLogger } from '@shieldwall/reference-app';
import { pgliteTarget } from '../helpers/database.js';
import { createServices, type Services } from '../../src/services.js';
import { walletKeyContext } from '../../src/features/wallets.js';
import { memoryWallets } from '../../src/wallets/repository.js';
import { startWalletRotation } from '../../src/wallets/rotation.js';

// The app's background re-wrap (docs/guides/kek-rotation.md step 4) on the real services: lock, cursor, stop.

const k1 = `k1:${Buffer.alloc(32, 1).toString('base64')}`;
const k2 = `k2:${Buffer.alloc(32, 2).toString('base64')}`;

type Wallets = ReturnType<typeof memoryWallets>;

async function services(
  walletKeks: string,
  wallets: Wallets,
  store: Store,
): Promise<Services & { logger: MemoryLogger }> {
  const config = loadConfig({ NODE_ENV: 'test', WALLET_KEKS: walletKeks }, { persistDevSecrets: false });
  const logger = memoryLogger();
  return Object.assign(
    await createServices(config, { logger, wallets, store, databaseTarget: await pgliteTarget() }),
    { logger },
  );
}

async function seed(wallets: Wallets, count: number): Promise<void> {
  const old = envelopeSealer({ keks: [{ id: 'k1', key: Buffer.alloc(32, 1) }] });
  for (let i = 0; i < count; i += 1) {
    const id = randomUUID();
    await wallets.create({
      id,
      userId: `u${i}`,
      address: `0x${String(i).padStart(40, '0')}`,
      createdAt: i,
      sealedKey: await old.seal(Buffer.alloc(32, i + 1), walletKeyContext(`u${i}`, id)),
    });
  }
}

const kekIds = (wallets: Wallets) => wallets.all().map((row) => parseEnvelope(row.sealedKey).kekId);

describe('background wallet KEK rotation', () => {
  let store: Store;
  let wallets: Wallets;
  beforeEach(async () => {
    store = memoryStore();
    wallets = memoryWallets();
    await seed(wallets, 30);
  });

  it('does nothing with a one-KEK ring', async () => {
    const s = await services(k1, wallets, store);
    const sealer = envelopeSealer({ keks: s.config.walletKeks });
    expect(await startWalletRotation(s, sealer).done).toBeUndefined();
    expect(s.logger.lines.filter((line) => String(line.message).includes('rotation'))).toEqual([]);
    expect(kekIds(wallets).every((id) => id === 'k1')).toBe(true);
  });

  it('re-wraps everything under the first KEK, the keys still open, and the lock is released', async () => {
    const s = await services(`${k2},${k1}`, wallets, store);
    const sealer = envelopeSealer({ keks: s.config.walletKeks });
    const report = await startWalletRotation(s, sealer).done;
    expect(report).toMatchObject({ scanned: 30, rewrapped: 30, failed: 0, completed: true });
    expect(kekIds(wallets).every((id) => id === 'k2')).toBe(true);
    const onlyNew = envelopeSealer({ keks: [{ id: 'k2', key: Buffer.alloc(32, 2) }] });
    for (const row of wallets.all()) {
      const key = await onlyNew.open(row.sealedKey, walletKeyContext(row.userId, row.id));
      expect(key).toHaveLength(32);
    }
    expect(await store.get('wallets:rotation:lock')).toBeUndefined();
    expect(await store.get('wallets:rotation:cursor:k2')).toBeUndefined();
  });

  it('runs on one instance only while another holds the lock', async () => {
    await store.set('wallets:rotation:lock', 'another-instance', 60_000);
    const s = await services(`${k2},${k1}`, wallets, store);
    expect(await startWalletRotation(s, envelopeSealer({ keks: s.config.walletKeks })).done).toBeUndefined();
    expect(kekIds(wallets).every((id) => id === 'k1')).toBe(true);
    expect(await store.get('wallets:rotation:lock')).toBe('another-instance');
  });

  it('stops when asked, keeps its cursor, and the next start resumes after it', async () => {
    const s = await services(`${k2},${k1}`, wallets, store);
    const sealer = envelopeSealer({ keks: s.config.walletKeks });
    // Stop from inside the walk: the repository's scan aborts the run after 12 records.
    const scan = wallets.scanSealedKeys.bind(wallets);
    const control: { stop?: () => void } = {};
    let seen = 0;
    const interrupted: Wallets = {
      ...wallets,
      async *scanSealedKeys(cursor) {
        for await (const row of scan(cursor)) {
          seen += 1;
          if (seen === 13) control.stop!();
          yield row;
        }
      },
    };
    const first = await services(`${k2},${k1}`, interrupted, store);
    const rotation = startWalletRotation(first, sealer);
    control.stop = rotation.stop;
    const report = await rotation.done;
    expect(report).toMatchObject({ completed: false, rewrapped: 12 });
    expect(kekIds(wallets).filter((id) => id === 'k2')).toHaveLength(12);
    expect(await store.get('wallets:rotation:cursor:k2')).toBe(report!.cursor);
    expect(await store.get('wallets:rotation:lock')).toBeUndefined();

    const second = await startWalletRotation(s, sealer).done;
    expect(second).toMatchObject({ completed: true, scanned: 18, rewrapped: 18 });
    expect(kekIds(wallets).every((id) => id === 'k2')).toBe(true);
  });

  it('lists keys it cannot re-wrap and logs a warning, without stopping', async () => {
    const [first] = wallets.all();
    await wallets.replaceSealedKey(
      first!.id,
      first!.sealedKey,
      first!.sealedKey.replace(/^swe1\.k1\./, 'swe1.k0.'),
    );
    const s = await services(`${k2},${k1}`, wallets, store);
    const report = await startWalletRotation(s, envelopeSealer({ keks: s.config.walletKeks })).done;
    expect(report).toMatchObject({
      rewrapped: 29,
      failed: 1,
      failures: [{ id: first!.id, code: 'unknown_key' }],
    });
    expect(s.logger.lines).toContainEqual(
      expect.objectContaining({ level: 'warn', message: 'wallet kek rotation finished', failed: 1 }),
    );
  });
});
