#!/usr/bin/env node
// The README's quick start is `npm start` and `npm test` on a machine that has only Node. This script makes both
// work from a fresh clone: it installs the workspace with the pinned pnpm (through npx, so corepack is not needed)
// when node_modules is missing or older than the lockfile, then hands over to pnpm (tests) or starts the app itself:
// through pnpm, a Ctrl-C ends with `ERR_PNPM_RECURSIVE_RUN_FIRST_FAIL ... Command failed`, and the app's own quiet
// shutdown is hidden behind it.
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

/**
 * The app in this process's terminal: `node --import tsx src/server.ts` in its folder, with no package manager in
 * between. Ctrl-C reaches the whole foreground process group; the app stops quietly and exits 0, and so does this
 * script (it ignores the SIGINT itself and reports the app's own status).
 */
function startApp(args) {
  process.on('SIGINT', () => {});
  const tsx = import.meta.resolve('tsx');
  const result = spawnSync(process.execPath, ['--import', tsx, 'src/server.ts', ...args], {
    cwd: join(root, 'examples', 'reference-app'),
    stdio: 'inherit',
  });
  if (result.error) throw result.error;
  if (result.signal === 'SIGINT') return 0;
  return result.status ?? 1;
}

const [task, ...rest] = process.argv.slice(2);
const tasks = { start: null, test: ['exec', 'jest'] };
if (!task || !(task in tasks)) {
  console.error(`usage: node scripts/run.mjs <${Object.keys(tasks).join('|')}> [args...]`);
  process.exit(2);
}
if (needsInstall()) {
  const status = pnpm(['install', '--frozen-lockfile']);
  if (status !== 0) process.exit(status);
}
process.exit(task === 'start' ? startApp(rest) : pnpm([...tasks[task], ...rest]));
