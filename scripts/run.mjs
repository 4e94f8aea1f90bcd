#!/usr/bin/env node
// The README's quick start is `npm start` and `npm test` on a machine that has only Node. This script makes both
// work from a fresh clone: it installs the workspace with the pinned pnpm (through npx, so corepack is not needed)
// when node_modules is missing or older than the lockfile, then hands over to pnpm.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const { packageManager } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));

function pnpm(args) {
  const execPath = process.env.npm_execpath ?? '';
  const viaPnpm = /pnpm/.test(execPath);
  const [cmd, prefix] = viaPnpm
    ? [process.execPath, [execPath]]
    : [process.platform === 'win32' ? 'npx.cmd' : 'npx', ['--yes', packageManager]];
  const result = spawnSync(cmd, [...prefix, ...args], { cwd: root, stdio: 'inherit' });
  if (result.error) throw result.error;
  return result.status ?? 1;
}

function needsInstall() {
  const marker = join(root, 'node_modules', '.modules.yaml');
  if (!existsSync(marker)) return true;
  const lock = join(root, 'pnpm-lock.yaml');
  return existsSync(lock) && statSync(lock).mtimeMs > statSync(marker).mtimeMs;
}

const [task, ...rest] = process.argv.slice(2);
const tasks = { start: ['run', 'app'], test: ['exec', 'jest'] };
if (!task || !(task in tasks)) {
  console.error(`usage: node scripts/run.mjs <${Object.keys(tasks).join('|')}> [args...]`);
  process.exit(2);
}
if (needsInstall()) {
  const status = pnpm(['install', '--frozen-lockfile']);
  if (status !== 0) process.exit(status);
}
process.exit(pnpm([...tasks[task], ...rest]));
