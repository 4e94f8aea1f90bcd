import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { PackedPackage } from './pack-all';

// A fresh npm project outside the workspace, as a user makes one: `npm install` of what a README's install line
// names. `@shieldwall/*` comes from the packed tarballs (through `overrides`, so a package that depends on one
// gets the tarball too, and one nobody depends on is never installed); everything else from npm's cache.

const execFileAsync = promisify(execFile);

/** The names of the first `npm install …` line in a README: `['express', '@shieldwall/headers', …]`. */
export function installLine(readme: string): string[] {
  const line = /^npm install (.+)$/m.exec(readme)?.[1];
  if (!line) throw new Error('the README has no `npm install …` line');
  return line.trim().split(/\s+/);
}

/** One npm project in `dir` (emptied first) with `names` installed; resolves when npm is done. */
export async function npmProject(
  dir: string,
  names: readonly string[],
  packed: readonly PackedPackage[],
): Promise<void> {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const tarballOf = new Map(packed.map(({ name, tarball }) => [name, `file:${tarball}`]));
  // npm refuses an override that differs from a direct dependency's spec; `$name` points it at the direct one.
  const overrides = Object.fromEntries(
    [...tarballOf].map(([name, spec]) => [name, names.includes(name) ? `$${name}` : spec]),
  );
  const dependencies = Object.fromEntries(names.map((name) => [name, tarballOf.get(name) ?? 'latest']));
  writeFileSync(
    join(dir, 'package.json'),
    JSON.stringify({ name: 'fresh-project', private: true, version: '0.0.0', dependencies, overrides }),
  );
  await execFileAsync('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error'], {
    cwd: dir,
    env: { ...process.env, CI: 'true' },
    maxBuffer: 16 * 1024 * 1024,
  });
}

interface LockEntry {
  name?: string;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
}

/** package-lock.json's `packages`: install path (`node_modules/a/node_modules/b`) → entry. */
export function lockPackages(dir: string): Record<string, LockEntry> {
  return (
    JSON.parse(readFileSync(join(dir, 'package-lock.json'), 'utf8')) as {
      packages: Record<string, LockEntry>;
    }
  ).packages;
}

/** Node's lookup from the package at `from`: its own node_modules, then each parent's, then the root's. */
function resolveIn(lock: Record<string, LockEntry>, from: string, name: string): string | undefined {
  let base = from;
  for (;;) {
    const candidate = `${base ? `${base}/` : ''}node_modules/${name}`;
    if (lock[candidate]) return candidate;
    if (!base) return undefined;
    const parent = base.lastIndexOf('/node_modules/');
    base = parent === -1 ? '' : base.slice(0, parent);
  }
}

export interface Edge {
  from: string;
  to: string;
}

/**
 * Everything installed because `name` is: the package, its dependencies, installed optional dependencies and
 * required peers, transitively (optional peers only when something else brought them in, so not counted).
 * Returns the install paths and the edges walked.
 */
export function closure(dir: string, name: string): { paths: Set<string>; edges: Edge[] } {
  const lock = lockPackages(dir);
  const start = `node_modules/${name}`;
  if (!lock[start]) throw new Error(`${name} is not installed in ${dir}`);
  const paths = new Set<string>([start]);
  const edges: Edge[] = [];
  const queue = [start];
  for (let path = queue.pop(); path !== undefined; path = queue.pop()) {
    const entry = lock[path] ?? {};
    const required = Object.keys(entry.peerDependencies ?? {}).filter(
      (peer) => entry.peerDependenciesMeta?.[peer]?.optional !== true,
    );
    const names = [
      ...Object.keys(entry.dependencies ?? {}),
      ...Object.keys(entry.optionalDependencies ?? {}),
      ...required,
    ];
    for (const dependency of names) {
      const target = resolveIn(lock, path, dependency);
      if (!target) continue; // an optional dependency npm skipped on this platform
      edges.push({ from: packageName(path), to: dependency });
      if (!paths.has(target)) {
        paths.add(target);
        queue.push(target);
      }
    }
  }
  return { paths, edges };
}

/** `node_modules/a/node_modules/@s/b` → `@s/b`. */
export function packageName(path: string): string {
  return path.slice(path.lastIndexOf('node_modules/') + 'node_modules/'.length);
}

/** Runs `each` over `items`, at most `size` at a time: parallel, without flooding a small machine. */
export async function inBatches<T>(
  items: readonly T[],
  size: number,
  each: (item: T) => Promise<void>,
): Promise<void> {
  const queue = [...items];
  await Promise.all(
    Array.from({ length: size }, async () => {
      for (let item = queue.shift(); item !== undefined; item = queue.shift()) await each(item);
    }),
  );
}
