import { execFile } from 'node:child_process';
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { PackedPackage } from './pack-all';
import { closure, inBatches, installLine, npmProject, packageName } from './npm-project';
import { packedOnce, sharedWork } from './packed-once';

// One package at a time, as a Node team installs it: each tarball into its own empty npm project with exactly
// what its README's install line names. Installing it must not pull in a `@shieldwall/*` package that its code
// does not import, and what it brings with it (itself, its dependencies, its required peers: not optional peers
// such as express where only its types are used) stays within a budget. A budget is a little above what was
// measured; raise it only with a reason in the commit that does.

const budgets: Record<string, number> = {
  '@shieldwall/core': 1,
  '@shieldwall/csp-reporter': 2,
  '@shieldwall/wallet-crypto': 2,
  '@shieldwall/headers': 4,
  '@shieldwall/passwords': 4,
  '@shieldwall/key-exchange': 4,
  '@shieldwall/captcha-gate': 5,
  '@shieldwall/jwt-cookies': 20,
  // express is a required peer here: bodyGuard calls express.json() and express.raw().
  '@shieldwall/request-guard': 75,
  // express-rate-limit requires express as its own peer.
  '@shieldwall/rate-limits': 76,
  // express is a required peer here: the routes are an express.Router().
  '@shieldwall/oauth-providers': 84,
};

const work = join(sharedWork, 'single-install');
const execFileAsync = promisify(execFile);
const concurrency = 3;

/** The bare specifiers that a package's built code (not its type declarations) loads at run time. */
function runtimeSpecifiers(installed: string): Set<string> {
  const found = new Set<string>();
  const dist = join(installed, 'dist');
  for (const file of readdirSync(dist, { recursive: true, encoding: 'utf8' })) {
    if (!/\.(c|m)?js$/.test(file)) continue;
    const code = readFileSync(join(dist, file), 'utf8');
    for (const match of code.matchAll(
      /(?:from\s*|require\(\s*|import\(\s*)["']((?:@[a-z0-9-]+\/)?[a-z0-9.-]+)/g,
    )) {
      if (match[1]) found.add(match[1]);
    }
  }
  return found;
}

const runtimeImports = (installed: string): Set<string> =>
  new Set([...runtimeSpecifiers(installed)].filter((s) => s.startsWith('@shieldwall/')));

const runtimeLoads = (installed: string, name: string): boolean => runtimeSpecifiers(installed).has(name);

interface Installed {
  name: string;
  dir: string;
  line: string[];
}

describe('each package installed alone from its tarball', () => {
  let packed: PackedPackage[] = [];
  const installed: Installed[] = [];

  beforeAll(async () => {
    packed = await packedOnce();
    rmSync(work, { recursive: true, force: true });
    const started = Date.now();
    await inBatches(packed, concurrency, async ({ name, dir: packageDir }) => {
      const line = installLine(readFileSync(join(packageDir, 'README.md'), 'utf8'));
      const dir = join(work, name.replace('/', '__'));
      await npmProject(dir, line, packed);
      installed.push({ name, dir, line });
    });
    installed.sort((a, b) => a.name.localeCompare(b.name));
    process.stderr.write(
      `packaging: ${installed.length} single-package installs in ${Math.round((Date.now() - started) / 1000)}s\n`,
    );
  }, 600_000);

  it('has a budget for every public package', () => {
    expect(packed.map(({ name }) => name).sort()).toEqual(Object.keys(budgets).sort());
  });

  it("names the package itself in its README's install line", () => {
    for (const { name, line } of installed)
      expect({ name, named: line.includes(name) }).toEqual({ name, named: true });
  });

  it('pulls in no @shieldwall/* package that the package depending on it does not import', () => {
    for (const { name, dir } of installed) {
      const { edges } = closure(dir, name);
      const needless = edges
        .filter(({ to }) => to.startsWith('@shieldwall/'))
        .filter(({ from, to }) => !runtimeImports(join(dir, 'node_modules', from)).has(to))
        .map(({ from, to }) => `${from} → ${to}`);
      expect({ name, needless }).toEqual({ name, needless: [] });
    }
  });

  it('installs no @shieldwall/* package beyond the install line and what those import', () => {
    for (const { name, dir, line } of installed) {
      const wanted = new Set(line.filter((n) => n.startsWith('@shieldwall/')));
      for (const named of [...wanted]) {
        for (const path of closure(dir, named).paths) wanted.add(packageName(path));
      }
      const present = readdirSync(join(dir, 'node_modules', '@shieldwall')).map((n) => `@shieldwall/${n}`);
      expect({ name, extra: present.filter((n) => !wanted.has(n)) }).toEqual({ name, extra: [] });
    }
  });

  it('keeps what each package brings with it within its budget', () => {
    const counts = installed.map(({ name, dir }) => ({ name, count: closure(dir, name).paths.size }));
    process.stderr.write(
      `packaging: installed tree sizes: ${counts.map(({ name, count }) => `${name.slice(12)} ${count}`).join(', ')}\n`,
    );
    for (const { name, count } of counts) {
      expect({ name, withinBudget: count <= (budgets[name] ?? 0) ? true : count }).toEqual({
        name,
        withinBudget: true,
      });
    }
  });

  it('requires express as a peer exactly where the built code loads it', () => {
    for (const { name, dir } of installed) {
      const installedDir = join(dir, 'node_modules', name);
      const manifest = JSON.parse(readFileSync(join(installedDir, 'package.json'), 'utf8')) as {
        peerDependencies?: Record<string, string>;
        peerDependenciesMeta?: Record<string, { optional?: boolean }>;
      };
      const declared = manifest.peerDependencies?.express === undefined ? 'none' : 'peer';
      const optional = manifest.peerDependenciesMeta?.express?.optional === true;
      const loads = runtimeLoads(installedDir, 'express');
      expect({ name, express: declared === 'peer' && !optional ? 'required' : 'not required' }).toEqual({
        name,
        express: loads ? 'required' : 'not required',
      });
    }
  });

  it("runs key-exchange's create-app-key bin from the tarball, as npx runs it", async () => {
    const project = installed.find(({ name }) => name === '@shieldwall/key-exchange');
    if (!project) throw new Error('key-exchange was not installed');
    const npx = (...args: string[]) =>
      execFileAsync('npx', ['--no-install', 'create-app-key', ...args], {
        cwd: project.dir,
        env: { ...process.env, CI: 'true' },
      });
    expect((await npx('--help')).stdout).toMatch(/^usage: create-app-key --platform/);
    writeFileSync(
      join(project.dir, 'sealer.mjs'),
      "export { ephemeralSealer as createSealer } from '@shieldwall/key-exchange';\n",
    );
    const registry = join(project.dir, 'keys.json');
    const args = [
      '--platform',
      'ios',
      '--version',
      '2.4.0',
      '--registry',
      registry,
      '--sealer-module',
      'sealer.mjs',
    ];
    const jwk = JSON.parse((await npx(...args)).stdout) as Record<string, unknown>;
    expect(jwk).toMatchObject({ kty: 'RSA', alg: 'RSA-OAEP-256', use: 'enc' });
    expect(jwk).not.toHaveProperty('d');
    const written = JSON.parse(readFileSync(registry, 'utf8')) as { keys: Array<Record<string, unknown>> };
    expect(written.keys).toEqual([
      expect.objectContaining({ platform: 'ios', version: '2.4.0', kid: jwk.kid }),
    ]);
    // Refused without a change to the registry: the version already has a key.
    await expect(npx(...args)).rejects.toMatchObject({
      code: 1,
      stderr: expect.stringMatching(/already has a key/),
    });
    expect(JSON.parse(readFileSync(registry, 'utf8'))).toEqual(written);
  }, 60_000);

  it('ships no @types/* package as a runtime dependency', () => {
    for (const { name, tarball } of packed) {
      const manifest = JSON.parse(
        readFileSync(join(work, name.replace('/', '__'), 'node_modules', name, 'package.json'), 'utf8'),
      ) as { dependencies?: Record<string, string> };
      const types = Object.keys(manifest.dependencies ?? {}).filter((d) => d.startsWith('@types/'));
      expect({ tarball, types }).toEqual({ tarball, types: [] });
    }
  });
});
