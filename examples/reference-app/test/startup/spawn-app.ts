import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const appDir = join(__dirname, '..', '..');
/** The repository's root when this folder is in the workspace; undefined in a copy of the folder. */
export const workspaceRoot: string | undefined = existsSync(join(appDir, '..', '..', 'pnpm-workspace.yaml'))
  ? join(appDir, '..', '..')
  : undefined;
/** Where a user types `npm start`: the repository's root in the workspace, this folder in a copy of it. */
export const startDir = workspaceRoot ?? appDir;

export interface SpawnedApp {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Resolves with the exit code (a signal counts as null). */
  exited: Promise<number | null>;
  /** Resolves once stdout holds `text`; rejects if the process exits first. */
  waitForOutput(text: string): Promise<void>;
  /** Kills it (and its process group) if still running, and removes its data folder. */
  cleanup(): Promise<void>;
}

/** A port nothing listens on now (the OS's pick, released at once). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/**
 * Runs the real server as a child process, as an operator would: `command` is `node --import tsx src/server.ts`
 * unless given (`npm start` from the repository root, `node dist/server.js`). Its own process group, so a test can
 * send the terminal's Ctrl-C to the whole group. DATA_DIR is a fresh temporary folder.
 */
export function spawnApp(
  env: Record<string, string>,
  command: { cmd: string; args: string[]; cwd: string } = {
    cmd: process.execPath,
    args: ['--import', 'tsx', 'src/server.ts'],
    cwd: appDir,
  },
): SpawnedApp {
  const dataDir = mkdtempSync(join(tmpdir(), 'sw-startup-'));
  const inherited = { ...process.env };
  // The suite's own settings must not leak in: each test says which stores it wants.
  for (const name of ['REDIS_URL', 'REDIS_CLUSTER', 'DATABASE_URL', 'NODE_ENV', 'PORT', 'JEST_WORKER_ID'])
    delete inherited[name];
  // Nor the settings a package manager hands its scripts (pnpm's `npm_config_verify_deps_before_run` makes a
  // nested `npm start` warn on stderr): the child starts from a terminal's environment.
  for (const name of Object.keys(inherited))
    if (/^npm_(config|package|lifecycle)_/i.test(name)) delete inherited[name];
  const child = spawn(command.cmd, command.args, {
    cwd: command.cwd,
    env: { ...inherited, NODE_ENV: 'development', DATA_DIR: dataDir, ...env },
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  const waiters: Array<{ text: string; resolve: () => void }> = [];
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    out += chunk;
    for (const waiter of waiters.filter((w) => out.includes(w.text))) {
      waiters.splice(waiters.indexOf(waiter), 1);
      waiter.resolve();
    }
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (err += chunk));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    exited,
    waitForOutput(text) {
      if (out.includes(text)) return Promise.resolve();
      return Promise.race([
        new Promise<void>((resolve) => waiters.push({ text, resolve })),
        exited.then((code) => {
          throw new Error(`exited (${code}) before printing ${JSON.stringify(text)}:\n${out}\n${err}`);
        }),
      ]);
    },
    async cleanup() {
      if (child.exitCode === null && child.signalCode === null) {
        try {
          process.kill(-child.pid!, 'SIGKILL');
        } catch {
          // already gone
        }
        await exited;
      }
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
