import { execFile, execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { inBatches } from './npm-project';
import { packedOnce, sharedWork } from './packed-once';

// Test what we publish: pack every public package as npm would receive it (pnpm applies publishConfig), install
// the tarballs into throwaway projects, and import each one from CommonJS, from ESM and from type-checked
// TypeScript (node16 resolution, both module kinds). publint and are-the-types-wrong check each tarball too.

const root = join(__dirname, '..', '..');
const work = join(sharedWork, 'packaging');
const bin = (name: string) => join(root, 'node_modules', '.bin', name);

interface Packed {
  name: string;
  tarball: string;
  subpaths: string[];
}

function run(cmd: string, args: string[], cwd: string): string {
  return execFileSync(cmd, args, {
    cwd,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, CI: 'true' },
  });
}

async function runAsync(cmd: string, args: string[], cwd: string): Promise<string> {
  const { stdout } = await promisify(execFile)(cmd, args, {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, CI: 'true' },
  });
  return stdout;
}

function subpathsOf(dir: string): string[] {
  const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as {
    publishConfig: { exports: Record<string, unknown> };
  };
  return Object.keys(pkg.publishConfig.exports).filter((p) => p !== './package.json');
}

describe('packed packages', () => {
  const packed: Packed[] = [];
  const consumer = join(work, 'consumer');

  beforeAll(async () => {
    rmSync(work, { recursive: true, force: true });
    for (const { name, tarball, dir } of await packedOnce()) {
      packed.push({ name, tarball, subpaths: subpathsOf(dir) });
    }
    mkdirSync(consumer, { recursive: true });
    writeFileSync(
      join(consumer, 'package.json'),
      JSON.stringify({ name: 'consumer', private: true, version: '0.0.0' }),
    );
    run(
      'npm',
      [
        'install',
        '--no-audit',
        '--no-fund',
        '--loglevel=error',
        'express@5',
        // What a TypeScript user adds: express's types (an optional peer of every package) and passport's (an
        // optional peer of oauth-providers, whose declarations refer to them).
        '@types/express',
        '@types/passport',
        ...packed.map((p) => p.tarball),
      ],
      consumer,
    );
  }, 600_000);

  afterAll(() => {
    rmSync(work, { recursive: true, force: true });
  });

  it('packs every public package', () => {
    expect(packed.length).toBeGreaterThanOrEqual(11);
  });

  it('packs package.json files without devDependencies or workspace scripts', () => {
    for (const { name, tarball } of packed) {
      const manifest = JSON.parse(run('tar', ['-xzOf', tarball, 'package/package.json'], work)) as Record<
        string,
        unknown
      >;
      expect({ name, devDependencies: manifest.devDependencies, scripts: manifest.scripts }).toEqual({
        name,
      });
    }
  });

  it('imports every entry point from CommonJS and ESM with the same named exports', () => {
    for (const { name, subpaths } of packed) {
      for (const subpath of subpaths) {
        const specifier = subpath === '.' ? name : `${name}/${subpath.slice(2)}`;
        writeFileSync(
          join(consumer, 'check.cjs'),
          `console.log(JSON.stringify(Object.keys(require(${JSON.stringify(specifier)})).sort()))`,
        );
        writeFileSync(
          join(consumer, 'check.mjs'),
          `const m = await import(${JSON.stringify(specifier)}); console.log(JSON.stringify(Object.keys(m).filter((k) => k !== 'default' && k !== 'module.exports').sort()))`,
        );
        const cjs = JSON.parse(run('node', ['check.cjs'], consumer)) as string[];
        const esm = JSON.parse(run('node', ['check.mjs'], consumer)) as string[];
        expect({ specifier, names: cjs }).toEqual({ specifier, names: esm });
        expect(cjs.length).toBeGreaterThan(0);
      }
    }
  });

  it('type-checks imports from TypeScript under node16 resolution, as CommonJS and as ESM', () => {
    const lines = packed.flatMap(({ name, subpaths }, i) =>
      subpaths.map((subpath, j) => {
        const specifier = subpath === '.' ? name : `${name}/${subpath.slice(2)}`;
        return `import * as p${i}_${j} from ${JSON.stringify(specifier)};\nexport const n${i}_${j}: number = Object.keys(p${i}_${j}).length;`;
      }),
    );
    for (const type of ['commonjs', 'module'] as const) {
      const dir = join(work, `ts-${type}`);
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: `ts-${type}`, private: true, type }));
      writeFileSync(join(dir, 'index.ts'), lines.join('\n') + '\n');
      writeFileSync(
        join(dir, 'tsconfig.json'),
        JSON.stringify({
          compilerOptions: {
            module: 'node16',
            moduleResolution: 'node16',
            strict: true,
            noEmit: true,
            skipLibCheck: false,
            types: [],
            typeRoots: [join(consumer, 'node_modules', '@types')],
          },
          files: ['index.ts'],
        }),
      );
      // Resolve the installed tarballs from the consumer's node_modules.
      rmSync(join(dir, 'node_modules'), { recursive: true, force: true });
      execFileSync('ln', ['-s', join(consumer, 'node_modules'), join(dir, 'node_modules')]);
      const result = (() => {
        try {
          return run(bin('tsc'), ['-p', 'tsconfig.json'], dir);
        } catch (error) {
          return String((error as { stdout?: string }).stdout ?? error);
        }
      })();
      expect({ type, errors: result.trim() }).toEqual({ type, errors: '' });
    }
  });

  it('passes publint and are-the-types-wrong', async () => {
    // Three tarballs at a time: each check is a node process that mostly waits on its own start-up.
    const results: Array<{ name: string; publint: string; attw: string }> = [];
    await inBatches(packed, 3, async ({ name, tarball }) => {
      const extracted = join(work, 'extracted', name.replace('/', '__'));
      mkdirSync(extracted, { recursive: true });
      await runAsync('tar', ['-xzf', tarball, '-C', extracted, '--strip-components=1'], work);
      const lint = await runAsync(bin('publint'), ['--strict', '--pack', 'false', extracted], work);
      let attw = 'ok';
      try {
        await runAsync(bin('attw'), [tarball, '--format', 'ascii', '--profile', 'node16'], work);
      } catch (error) {
        attw = String((error as { stdout?: string }).stdout ?? error);
      }
      results.push({ name, publint: /error|warning/i.test(lint) ? lint : 'ok', attw });
    });
    results.sort((x, y) => x.name.localeCompare(y.name));
    expect(results).toEqual(packed.map(({ name }) => ({ name, publint: 'ok', attw: 'ok' })));
  }, 300_000);
});
