#!/usr/bin/env node
// A package's `prepack`: `pnpm pack` and `pnpm publish` never ship a tarball without code or with code older
// than its sources. It builds (the package's own `build` script) when dist/ is missing or older than anything it
// is built from, and skips the build otherwise, so packing every package right after `pnpm build` (CI, the
// packaging test's packAll) does not build everything twice.
import { execSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const packageDir = process.cwd();
const root = join(import.meta.dirname, '..');

/** Every file under `dir`, recursively, with its modification time. */
function files(dir) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile())
    .map((entry) => statSync(join(entry.parentPath, entry.name)).mtimeMs);
}

const inputs = [
  ...files(join(packageDir, 'src')),
  ...['package.json'].map((f) => statSync(join(packageDir, f)).mtimeMs),
  ...['tsup.config.ts', 'tsconfig.base.json'].map((f) => statSync(join(root, f)).mtimeMs),
];
const outputs = files(join(packageDir, 'dist'));
const name = JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8')).name;

if (outputs.length > 0 && Math.min(...outputs) >= Math.max(...inputs)) {
  process.stdout.write(`${name}: dist/ is up to date with its sources; packing it as built\n`);
} else {
  process.stdout.write(
    `${name}: dist/ is ${outputs.length ? 'older than its sources' : 'missing'}; building\n`,
  );
  const build = JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8')).scripts.build;
  // pnpm runs lifecycle scripts with the workspace's node_modules/.bin on PATH, so `build` runs as it would here.
  execSync(build, { cwd: packageDir, stdio: 'inherit' });
}
