import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';

// Packs every public package once, as npm would receive it: one recursive `pnpm pack` whose `prepack` builds each
// package, `publishConfig` applied and the packed package.json trimmed by the root .pnpmfile.cjs. The packaging
// suite and the reference app's copy test both install from these tarballs; keep `packAll(dir)` stable.

const root = join(__dirname, '..', '..');
const pnpm = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).packageManager as string;

export interface PackedPackage {
  /** `@shieldwall/core` */
  name: string;
  version: string;
  /** The package's folder in the workspace. */
  dir: string;
  /** Absolute path of the tarball, ready for `npm install <tarball>`. */
  tarball: string;
}

interface Manifest {
  name: string;
  version: string;
  private?: boolean;
}

/** The workspace's publishable packages (private ones, such as test-utils, are never packed). */
export function publicPackages(): Array<{ name: string; version: string; dir: string }> {
  return readdirSync(join(root, 'packages'))
    .map((folder) => join(root, 'packages', folder))
    .filter((dir) => existsSync(join(dir, 'package.json')))
    .map((dir) => ({ dir, pkg: JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as Manifest }))
    .filter(({ pkg }) => !pkg.private)
    .map(({ dir, pkg }) => ({ name: pkg.name, version: pkg.version, dir }))
    .sort((a, b) => a.name.localeCompare(b.name));
}

/** `@shieldwall/core@0.1.0` → `shieldwall-core-0.1.0.tgz`, the name npm and pnpm give the tarball. */
const tarballName = (name: string, version: string): string =>
  `${name.replace(/^@/, '').replace('/', '-')}-${version}.tgz`;

/**
 * Builds and packs every public package into `dir` (created if missing) and returns one entry per tarball,
 * sorted by name. Progress goes to stderr, so a long run is never silent.
 */
export async function packAll(dir: string): Promise<PackedPackage[]> {
  const destination = resolve(dir);
  mkdirSync(destination, { recursive: true });
  const packages = publicPackages();
  const started = Date.now();
  process.stderr.write(`packaging: building and packing ${packages.length} packages into ${destination}\n`);
  await promisify(execFile)(
    'npx',
    [
      '--yes',
      pnpm,
      '--recursive',
      ...packages.flatMap(({ name }) => ['--filter', name]),
      'pack',
      '--pack-destination',
      destination,
    ],
    { cwd: root, env: { ...process.env, CI: 'true' }, maxBuffer: 64 * 1024 * 1024 },
  );
  const packed = packages.map(({ name, version, dir: packageDir }) => ({
    name,
    version,
    dir: packageDir,
    tarball: join(destination, tarballName(name, version)),
  }));
  const missing = packed.filter(({ tarball }) => !existsSync(tarball)).map(({ tarball }) => tarball);
  if (missing.length > 0) throw new Error(`pnpm pack did not write ${missing.join(', ')}`);
  process.stderr.write(
    `packaging: packed ${packed.length} packages in ${Math.round((Date.now() - started) / 1000)}s\n`,
  );
  return packed;
}
