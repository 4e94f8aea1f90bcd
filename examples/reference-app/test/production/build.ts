import { execFile } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { appDir, workspaceRoot } from '../startup/spawn-app';

export const serverFile = join(appDir, 'dist', 'server.js');

/**
 * What the bundle is made of: the app's sources and client, the packages (their sources in the workspace, what
 * npm installed in a copy), and the build script.
 */
const inputs = [
  join(appDir, 'src'),
  join(appDir, 'client'),
  join(appDir, 'scripts'),
  join(appDir, 'package.json'),
  workspaceRoot ? join(workspaceRoot, 'packages') : join(appDir, 'node_modules', '@shieldwall'),
];

function newestMtime(path: string): number {
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  let newest = stat.mtimeMs;
  for (const entry of readdirSync(path)) {
    if (entry === 'node_modules' || entry === 'dist' || entry === 'test') continue;
    newest = Math.max(newest, newestMtime(join(path, entry)));
  }
  return newest;
}

/** Runs `scripts/build.mjs` unless dist/server.js is newer than every input (a few ms of stat calls). */
export async function buildOnce(): Promise<'built' | 'cached'> {
  if (existsSync(serverFile)) {
    const built = statSync(serverFile).mtimeMs;
    if (inputs.every((input) => newestMtime(input) < built)) return 'cached';
  }
  await promisify(execFile)(process.execPath, [join('scripts', 'build.mjs')], { cwd: appDir });
  return 'built';
}
