import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { packAll, type PackedPackage } from './pack-all';

// Every packaging suite installs the same tarballs, and jest runs the suites in parallel workers: packing in
// each would build and pack everything several times over, and two prepack builds of one package at once write
// the same dist/. `packedOnce()` packs into one shared folder under a lock (a directory: mkdir is atomic) and
// reuses the tarballs while they are newer than everything that goes into them.

const root = join(__dirname, '..', '..');
export const sharedWork = join(__dirname, '.work');
const destination = join(sharedWork, 'tarballs');
const record = join(destination, 'packed.json');
const lock = join(sharedWork, 'tarballs.lock');

/** The newest modification time of what a tarball is made from: the packages' files and the packing scripts. */
function newestInput(): number {
  const skip = new Set(['node_modules', 'dist', 'test']);
  let newest = 0;
  const visit = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (skip.has(entry.name)) continue;
      const path = join(dir, entry.name);
      if (entry.isDirectory()) visit(path);
      else newest = Math.max(newest, statSync(path).mtimeMs);
    }
  };
  visit(join(root, 'packages'));
  for (const file of [
    '.pnpmfile.cjs',
    'scripts/build-if-stale.mjs',
    'tsup.config.ts',
    'tsconfig.base.json',
  ]) {
    newest = Math.max(newest, statSync(join(root, file)).mtimeMs);
  }
  return newest;
}

function fresh(): PackedPackage[] | undefined {
  if (!existsSync(record) || statSync(record).mtimeMs < newestInput()) return undefined;
  const packed = JSON.parse(readFileSync(record, 'utf8')) as PackedPackage[];
  return packed.every(({ tarball }) => existsSync(tarball)) ? packed : undefined;
}

/** A lock left by a process that died (a killed run) would make every later run wait forever. */
function lockIsStale(): boolean {
  try {
    const pid = Number(readFileSync(join(lock, 'pid'), 'utf8'));
    process.kill(pid, 0);
    return false;
  } catch (error) {
    // EPERM: the process exists under another user; a missing pid file: the holder has not written it yet.
    const code = (error as NodeJS.ErrnoException).code;
    return code === 'ESRCH';
  }
}

/** The packed public packages, packed at most once for any number of suites and runs while nothing changed. */
export async function packedOnce(): Promise<PackedPackage[]> {
  mkdirSync(sharedWork, { recursive: true });
  for (;;) {
    const ready = fresh();
    if (ready) return ready;
    try {
      mkdirSync(lock);
    } catch {
      if (lockIsStale()) rmSync(lock, { recursive: true, force: true });
      else await sleep(500);
      continue;
    }
    try {
      writeFileSync(join(lock, 'pid'), String(process.pid));
      const again = fresh();
      if (again) return again;
      rmSync(destination, { recursive: true, force: true });
      const packed = await packAll(destination);
      writeFileSync(record, JSON.stringify(packed, null, 2));
      return packed;
    } finally {
      rmSync(lock, { recursive: true, force: true });
    }
  }
}
