import { randomUUID } from 'node:crypto';
import { isShieldwallError, prefixedStore } from '@shieldwall/core';
import { rotateKeks, type EnvelopeSealer, type RotationReport } from '@shieldwall/wallet-crypto';
import type { Services } from '../services.js';

const lockTtlMs = 15 * 60_000;
const cursorTtlMs = 7 * 24 * 3600_000;

export interface WalletRotation {
  /** Resolves with the report when this instance ran the rotation; undefined when there was nothing to do. */
  done: Promise<RotationReport | undefined>;
  /** Stops after the record in hand (the cursor is kept, so the next start resumes). */
  stop(): void;
}

/**
 * Step 4 of docs/guides/kek-rotation.md, run by the app itself: when WALLET_KEKS holds more than one KEK, one
 * instance (a lock in the store) re-wraps every wallet key under the first, saving with compare-and-set, logging
 * progress, and keeping its cursor in the store so a restart resumes. Failures are logged, never thrown: the app
 * keeps serving with the old ring.
 */
export function startWalletRotation(services: Services, sealer: EnvelopeSealer): WalletRotation {
  const controller = new AbortController();
  const { logger, wallets } = services;
  const store = prefixedStore(services.store, 'wallets:rotation:');
  const cursorKey = `cursor:${sealer.currentKekId}`;

  async function run(): Promise<RotationReport | undefined> {
    if (sealer.kekIds.length < 2) return undefined;
    const owner = randomUUID();
    if (!(await store.setIfAbsent('lock', owner, lockTtlMs))) return undefined;
    try {
      const resumeAfter = await store.get(cursorKey);
      logger.info('wallet kek rotation started', {
        to: sealer.currentKekId,
        resumeAfter: resumeAfter ?? null,
      });
      const report = await rotateKeks({
        sealer,
        records: (cursor) => wallets.scanSealedKeys(cursor),
        save: async (record, rewrapped) => {
          await wallets.replaceSealedKey(record.id, record.sealed, rewrapped);
        },
        ...(resumeAfter ? { resumeAfter } : {}),
        signal: controller.signal,
        progressEvery: 500,
        onProgress: async ({ cursor, scanned, rewrapped, failed }) => {
          if (cursor) await store.set(cursorKey, cursor, cursorTtlMs);
          logger.info('wallet kek rotation progress', { scanned, rewrapped, failed });
        },
      });
      if (report.completed) await store.delete(cursorKey);
      else if (report.cursor) await store.set(cursorKey, report.cursor, cursorTtlMs);
      const { failures, ...counts } = report;
      logger[failures.length > 0 ? 'warn' : 'info']('wallet kek rotation finished', {
        ...counts,
        to: sealer.currentKekId,
        failures: failures.slice(0, 50),
      });
      return report;
    } finally {
      if ((await store.get('lock')) === owner) await store.delete('lock');
    }
  }

  const done = run().catch((error: unknown) => {
    logger.error('wallet kek rotation stopped', {
      code: isShieldwallError(error) ? error.code : 'internal_error',
      error: error instanceof Error ? error.message : String(error),
    });
    return undefined;
  });
  return { done, stop: () => controller.abort() };
}
