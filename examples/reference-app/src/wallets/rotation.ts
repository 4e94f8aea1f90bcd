import { randomUUID } from 'node:crypto';
import { isShieldwallError, prefixedStore } from '@shieldwall/core';
import { rotateKeks, type EnvelopeSealer, type RotationReport } from '@shieldwall/wallet-crypto';
import type { Services } from '../services.js';
import type { SealedColumn } from '../db/sealed.js';

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
 * instance (a lock in the store) re-wraps every sealed column under the first (wallet keys, then TOTP secrets, so
 * no user with a bound device is left under a KEK about to be retired), saving with compare-and-set, logging
 * progress, and keeping a cursor per column in the store so a restart resumes. Failures are logged, never thrown:
 * the app keeps serving with the old ring. The report adds up the columns.
 */
export function startWalletRotation(services: Services, sealer: EnvelopeSealer): WalletRotation {
  const controller = new AbortController();
  const { logger, sealedColumns } = services;
  const store = prefixedStore(services.store, 'wallets:rotation:');
  // The wallet column keeps the key it always had, so a rotation interrupted before an upgrade still resumes.
  const cursorKey = (column: string) =>
    column === 'wallets.sealed_key'
      ? `cursor:${sealer.currentKekId}`
      : `cursor:${sealer.currentKekId}:${column}`;

  async function rotateColumn(column: SealedColumn): Promise<RotationReport> {
    const key = cursorKey(column.name);
    const resumeAfter = await store.get(key);
    logger.info('wallet kek rotation started', {
      column: column.name,
      to: sealer.currentKekId,
      resumeAfter: resumeAfter ?? null,
    });
    const report = await rotateKeks({
      sealer,
      records: (cursor) => column.scan(cursor),
      save: async (record, rewrapped) => {
        await column.replace(record.id, record.sealed, rewrapped);
      },
      ...(resumeAfter ? { resumeAfter } : {}),
      signal: controller.signal,
      progressEvery: 500,
      onProgress: async ({ cursor, scanned, rewrapped, failed }) => {
        if (cursor) await store.set(key, cursor, cursorTtlMs);
        logger.info('wallet kek rotation progress', { column: column.name, scanned, rewrapped, failed });
      },
    });
    if (report.completed) await store.delete(key);
    else if (report.cursor) await store.set(key, report.cursor, cursorTtlMs);
    return report;
  }

  async function run(): Promise<RotationReport | undefined> {
    if (sealer.kekIds.length < 2) return undefined;
    const owner = randomUUID();
    if (!(await store.setIfAbsent('lock', owner, lockTtlMs))) return undefined;
    try {
      let total: RotationReport | undefined;
      for (const column of sealedColumns) {
        const report = await rotateColumn(column);
        total = total
          ? {
              ...report,
              scanned: total.scanned + report.scanned,
              rewrapped: total.rewrapped + report.rewrapped,
              current: total.current + report.current,
              failed: total.failed + report.failed,
              failures: [...total.failures, ...report.failures],
            }
          : report;
        if (!report.completed) break;
      }
      if (!total) return undefined;
      const { failures, ...counts } = total;
      logger[failures.length > 0 ? 'warn' : 'info']('wallet kek rotation finished', {
        ...counts,
        to: sealer.currentKekId,
        failures: failures.slice(0, 50),
      });
      return total;
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
