import { checkOptionNames, configError, type OptionNames } from '@shieldwall/core';
import { isWalletCryptoError, packageName } from './errors.js';
import type { EnvelopeSealer } from './sealer.js';

/** One stored value to move to the current KEK. `id` orders the walk and is the resume cursor. */
export interface RotationRecord {
  id: string;
  sealed: string;
}

export interface RotationProgress {
  /** Records read (this run). */
  scanned: number;
  /** Records re-wrapped and saved (this run). */
  rewrapped: number;
  /** Records already under the current KEK. */
  current: number;
  /** Records that could not be re-wrapped (unknown KEK, damaged value); their ids are in `failures`. */
  failed: number;
  /** The id of the last record handled: pass it as `resumeAfter` to continue from here. */
  cursor: string | undefined;
}

export interface RotationReport extends RotationProgress {
  failures: Array<{ id: string; code: string }>;
  /** False when stopped by `signal` before the records ran out. */
  completed: boolean;
}

export interface RotateOptions {
  /** The sealer whose first KEK is the new one. Required. */
  sealer: EnvelopeSealer;
  /**
   * The records, in a stable order of `id`. Either an async iterable (records up to and including `resumeAfter`
   * are skipped) or a function that gets the cursor and returns the records after it (a `WHERE id > $1 ORDER BY id`
   * query). Required.
   */
  records:
    AsyncIterable<RotationRecord> | ((resumeAfter: string | undefined) => AsyncIterable<RotationRecord>);
  /**
   * Saves the re-wrapped value. Make it conditional on the old value (`UPDATE ... WHERE id = $1 AND sealed = $2`)
   * so a concurrent write is not overwritten. Required.
   */
  save(record: RotationRecord, rewrapped: string): Promise<void>;
  /** Continue after this record id (the `cursor` of an earlier, interrupted run). Defaults to the start. */
  resumeAfter?: string;
  /** Called every `progressEvery` records and once at the end; persist `cursor` here to resume later. */
  onProgress?(progress: Readonly<RotationProgress>): void | Promise<void>;
  /** How often `onProgress` runs, in records. Defaults to 100. */
  progressEvery?: number;
  /** Stops after the record in hand; the report then has `completed: false` and the cursor to resume from. */
  signal?: AbortSignal;
}

const optionNames: OptionNames<RotateOptions> = {
  sealer: true,
  records: true,
  save: true,
  resumeAfter: true,
  onProgress: true,
  progressEvery: true,
  signal: true,
};

/**
 * Moves every record to the current KEK with `rewrap` (plaintexts are never decrypted). Failures of one record
 * (`unknown_key`, `decryption_failed`) are counted and listed and the walk goes on; errors from `records` or
 * `save` stop it (the cursor stays at the last saved record, so a rerun with `resumeAfter` repeats nothing).
 */
export async function rotateKeks(options: Readonly<RotateOptions>): Promise<RotationReport> {
  checkOptionNames(packageName, 'rotateKeks()', options, optionNames, { hints: { cursor: 'resumeAfter' } });
  const { sealer, records, save, resumeAfter, onProgress, signal } = options;
  if (typeof save !== 'function') throw configError(packageName, 'save', save, 'pass an async function.');
  const every = options.progressEvery ?? 100;
  if (!Number.isSafeInteger(every) || every <= 0) {
    throw configError(packageName, 'progressEvery', every, 'pass a positive whole number.');
  }
  const source = typeof records === 'function' ? records(resumeAfter) : records;
  let skipping = typeof records !== 'function' && resumeAfter !== undefined;
  const report: RotationReport = {
    scanned: 0,
    rewrapped: 0,
    current: 0,
    failed: 0,
    cursor: resumeAfter,
    failures: [],
    completed: false,
  };
  const progress = (): RotationProgress => {
    const { failures: _failures, completed: _completed, ...counts } = report;
    return counts;
  };

  for await (const record of source) {
    if (skipping) {
      if (record.id === resumeAfter) skipping = false;
      continue;
    }
    if (signal?.aborted) return report;
    report.scanned += 1;
    let rewrapped: string | undefined;
    try {
      rewrapped = await sealer.rewrap(record.sealed);
    } catch (error) {
      if (!isWalletCryptoError(error)) throw error;
      report.failed += 1;
      report.failures.push({ id: record.id, code: error.code });
    }
    if (rewrapped === record.sealed) {
      report.current += 1;
    } else if (rewrapped !== undefined) {
      await save(record, rewrapped);
      report.rewrapped += 1;
    }
    report.cursor = record.id;
    if (onProgress && report.scanned % every === 0) await onProgress(progress());
  }
  report.completed = true;
  if (onProgress) await onProgress(progress());
  return report;
}
