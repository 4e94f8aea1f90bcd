import { execFile } from 'node:child_process';
import { cpSync, lstatSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { promisify } from 'node:util';
import type { PackedPackage } from '../packaging/pack-all';
import { packedOnce } from '../packaging/packed-once';

// What a team does with the reference app (docs/reference-app.md): copy the folder into a project of its own,
// `npm install`, `npm test`. Here the copy goes to a temporary folder outside the workspace (nothing can resolve
// back into it), its @shieldwall dependencies point at the packed tarballs instead of the registry, and npm, not
// pnpm, installs it. Its own step in CI (`pnpm test:app-copy`); the default jest run leaves this folder out.
//
// The copy runs a subset of its suites, one or more per package, because the whole suite takes about as long again
// as the rest of `npm test` on a two-core machine: sign-up, sign-in and refresh (jwt-cookies, passwords, core,
// request-guard), the key exchange with the browser client (key-exchange and its ESM-only jose), the headers and
// the CSP report endpoint (headers, csp-reporter), the CAPTCHA step-up (captcha-gate), wallets (wallet-crypto),
// rate limits on Redis when REDIS_URL is set (rate-limits), the repositories on PGlite, and `npm start` in the
// copied folder. oauth-providers' flows need its fake providers, which a copy does not have
// (examples/reference-app/test/workspace-only.cjs). APP_COPY_SUITES=all runs every suite the copy has;
// APP_COPY_SUITES=<path>,<path> runs those.
const subset = [
  'test/e2e/auth.test.ts',
  'test/e2e/key-exchange.test.ts',
  'test/e2e/headers.test.ts',
  'test/e2e/csp-reports.test.ts',
  'test/e2e/captcha.test.ts',
  'test/e2e/wallets.test.ts',
  'test/e2e/rate-limits.test.ts',
  'test/db-repositories.test.ts',
  'test/startup/startup-npm-start.test.ts',
];

const root = join(__dirname, '..', '..');
const appDir = join(root, 'examples', 'reference-app');
const run = promisify(execFile);

/** A terminal's environment: none of the settings pnpm hands the jest run it started (npm would read them). */
function cleanEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, CI: 'true' };
  for (const name of Object.keys(env)) if (/^(npm|pnpm)_/i.test(name)) delete env[name];
  delete env.JEST_WORKER_ID;
  return env;
}

interface Manifest {
  dependencies: Record<string, string>;
  overrides?: Record<string, string>;
}

/** Points each @shieldwall dependency at its tarball; overrides make the packages' own ranges use them too. */
function pointAtTarballs(manifestFile: string, packed: PackedPackage[]): string[] {
  const manifest = JSON.parse(readFileSync(manifestFile, 'utf8')) as Manifest;
  const names = Object.keys(manifest.dependencies).filter((name) => name.startsWith('@shieldwall/'));
  const overrides: Record<string, string> = {};
  for (const name of names) {
    const tarball = packed.find((p) => p.name === name)?.tarball;
    if (!tarball) throw new Error(`${name} was not packed`);
    manifest.dependencies[name] = `file:${tarball}`;
    overrides[name] = `$${name}`;
  }
  manifest.overrides = { ...manifest.overrides, ...overrides };
  writeFileSync(manifestFile, `${JSON.stringify(manifest, null, 2)}\n`);
  return names;
}

describe('a copy of the reference app, installed with npm from the packed tarballs, passes its own npm test', () => {
  const work = mkdtempSync(join(tmpdir(), 'sw-app-copy-'));
  const copy = join(work, 'reference-app');
  let names: string[] = [];
  let npmTest: { code: number; output: string } = { code: -1, output: '' };

  beforeAll(async () => {
    // The packaging suites' tarballs, reused while nothing that goes into them changed: in CI, npm test packed them.
    const packed = await packedOnce();
    cpSync(appDir, copy, {
      recursive: true,
      filter: (source) => !/(^|\/)(node_modules|dist|\.data)$/.test(relative(appDir, source)),
    });
    names = pointAtTarballs(join(copy, 'package.json'), packed);
    const env = cleanEnv();
    const started = Date.now();
    process.stderr.write(`app copy: npm install in ${copy}\n`);
    await run('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error'], {
      cwd: copy,
      env,
      maxBuffer: 64 * 1024 * 1024,
    });
    process.stderr.write(`app copy: installed in ${Math.round((Date.now() - started) / 1000)}s; npm test\n`);
    const chosen = process.env.APP_COPY_SUITES;
    const suites = chosen === 'all' ? [] : chosen ? chosen.split(',') : subset;
    try {
      const { stdout, stderr } = await run('npm', ['test', '--', ...suites], {
        cwd: copy,
        env,
        maxBuffer: 64 * 1024 * 1024,
      });
      npmTest = { code: 0, output: `${stdout}${stderr}` };
    } catch (error) {
      const failed = error as { code?: number; stdout?: string; stderr?: string };
      npmTest = { code: failed.code ?? 1, output: `${failed.stdout ?? ''}${failed.stderr ?? ''}` };
    }
    process.stderr.write(
      `app copy: npm test exited ${npmTest.code} after ${Math.round((Date.now() - started) / 1000)}s\n`,
    );
  }, 1_800_000);

  afterAll(() => {
    rmSync(work, { recursive: true, force: true });
  });

  it('is outside the workspace, so nothing resolves back into it', () => {
    expect(relative(root, copy).startsWith('..')).toBe(true);
  });

  it('installs every @shieldwall package from its tarball (built code, not a link to the workspace)', () => {
    expect(names.length).toBeGreaterThanOrEqual(11);
    for (const name of names) {
      const installed = join(copy, 'node_modules', ...name.split('/'));
      expect({ name, link: lstatSync(installed).isSymbolicLink() }).toEqual({ name, link: false });
      const manifest = JSON.parse(readFileSync(join(installed, 'package.json'), 'utf8')) as {
        main: string;
        devDependencies?: unknown;
      };
      expect(manifest.main).toMatch(/^\.\/dist\//);
    }
  });

  it("runs the app's npm test, and it passes", () => {
    if (npmTest.code !== 0) console.error(npmTest.output);
    expect(npmTest.code).toBe(0);
    expect(npmTest.output).toMatch(/Tests: +\d+ passed, \d+ total/);
  });
});
