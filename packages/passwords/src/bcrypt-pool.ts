import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { checkOptionNames, configError, positiveInteger } from '@shieldwall/core';

const packageName = '@shieldwall/passwords';

export interface BcryptPoolOptions {
  /** How many worker threads hash in parallel. Defaults to the number of CPUs minus one, between 1 and 4. */
  size?: number;
}

export interface BcryptPool {
  hash(password: string, cost: number): Promise<string>;
  compare(password: string, hash: string): Promise<boolean>;
  /** Terminates the workers; later calls reject. */
  close(): Promise<void>;
}

interface Job {
  message: { op: 'hash'; password: string; cost: number } | { op: 'compare'; password: string; hash: string };
  resolve(value: unknown): void;
  reject(error: Error): void;
}

interface Slot {
  worker: Worker;
  job: Job | undefined;
}

// The worker is evaluated from this string, so the package needs no separate worker file in either build; it loads
// bcryptjs from the path the main thread resolved. bcryptjs blocks for the whole hash (about 330 ms at cost 12),
// which is why it runs here and not on the event loop.
const workerSource = `
const { parentPort, workerData } = require('node:worker_threads');
const bcrypt = require(workerData.bcryptPath);
parentPort.on('message', (message) => {
  try {
    const result = message.op === 'hash'
      ? bcrypt.hashSync(message.password, message.cost)
      : bcrypt.compareSync(message.password, message.hash);
    parentPort.postMessage({ ok: true, result });
  } catch (error) {
    parentPort.postMessage({ ok: false, error: String((error && error.message) || error) });
  }
});
`;

function resolveBcrypt(): string {
  return createRequire(__filename).resolve('bcryptjs');
}

/**
 * A small pool of worker threads running bcryptjs. Workers start on first use, are unref'd while idle (so an idle
 * pool never keeps a process alive) and ref'd while they hold a job; `close()` terminates them.
 */
export function bcryptPool(options: Readonly<BcryptPoolOptions> = {}): BcryptPool {
  checkOptionNames<BcryptPoolOptions>(
    packageName,
    'bcryptPool()',
    options,
    { size: true },
    {
      hints: { poolSize: 'size', workers: 'size' },
    },
  );
  const size = positiveInteger(
    packageName,
    'poolSize',
    options.size,
    Math.max(1, Math.min(4, availableParallelism() - 1)),
  );
  if (size > 64) throw configError(packageName, 'poolSize', size, 'pass at most 64 workers.');
  const bcryptPath = resolveBcrypt();
  const slots: Slot[] = [];
  const queue: Job[] = [];
  let closed = false;

  const finish = (slot: Slot): void => {
    slot.job = undefined;
    const next = queue.shift();
    if (next) run(slot, next);
    else slot.worker.unref();
  };

  const spawn = (): Slot => {
    const worker = new Worker(workerSource, { eval: true, workerData: { bcryptPath } });
    const slot: Slot = { worker, job: undefined };
    worker.on('message', (reply: { ok: boolean; result?: unknown; error?: string }) => {
      const job = slot.job;
      if (!job) return;
      if (reply.ok) job.resolve(reply.result);
      else job.reject(new Error(`bcrypt failed: ${reply.error ?? 'unknown error'}`));
      finish(slot);
    });
    const lost = (error: Error): void => {
      const index = slots.indexOf(slot);
      if (index >= 0) slots.splice(index, 1);
      slot.job?.reject(error);
      slot.job = undefined;
      // A replacement takes over whatever is queued.
      if (!closed && queue.length > 0) run(spawn(), queue.shift()!);
    };
    worker.on('error', lost);
    worker.on('exit', (code) => {
      if (slots.includes(slot)) lost(new Error(`bcrypt worker exited with code ${code}`));
    });
    slots.push(slot);
    return slot;
  };

  const run = (slot: Slot, job: Job): void => {
    slot.job = job;
    slot.worker.ref();
    slot.worker.postMessage(job.message);
  };

  const submit = <T>(message: Job['message']): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      if (closed) {
        reject(new Error(`${packageName}: the password pool is closed`));
        return;
      }
      const job: Job = { message, resolve, reject };
      const idle = slots.find((slot) => !slot.job);
      if (idle) run(idle, job);
      else if (slots.length < size) run(spawn(), job);
      else queue.push(job);
    });

  return {
    hash: (password, cost) => submit<string>({ op: 'hash', password, cost }),
    compare: (password, hash) => submit<boolean>({ op: 'compare', password, hash }),
    async close() {
      closed = true;
      const error = new Error(`${packageName}: the password pool was closed`);
      for (const job of queue.splice(0)) job.reject(error);
      const all = slots.splice(0);
      for (const slot of all) slot.job?.reject(error);
      await Promise.all(all.map((slot) => slot.worker.terminate()));
    },
  };
}
