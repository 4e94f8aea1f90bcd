import { createRequire } from 'node:module';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';

// A copy of examples/reference-app runs its own suite (docs/reference-app.md): so no app test may import the
// private @shieldwall/test-utils or a file outside the app's folder, unless examples/reference-app/test/
// workspace-only.cjs lists it (those suites are left out of a copy, with their reason written there).

const appDir = join(__dirname, '..', '..', 'examples', 'reference-app');
const workspaceOnly = (
  createRequire(__filename)(join(appDir, 'test', 'workspace-only.cjs')) as { suites: string[] }
).suites;

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory()
      ? filesUnder(join(dir, entry.name))
      : /\.(ts|cjs)$/.test(entry.name)
        ? [join(dir, entry.name)]
        : [],
  );
}

/** What a file imports or requires that a copy of the folder would not have. */
function outsideImports(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const specifiers = [...text.matchAll(/(?:from|import\(|require\()\s*'([^']+)'/g)].map((match) => match[1]!);
  return specifiers.filter(
    (specifier) =>
      specifier === '@shieldwall/test-utils' ||
      (specifier.startsWith('.') && relative(appDir, resolve(join(file, '..'), specifier)).startsWith('..')),
  );
}

describe("the reference app's tests need nothing outside its folder", () => {
  const files = filesUnder(join(appDir, 'test')).map((file) => relative(appDir, file));

  it('finds the suites', () => {
    expect(files).toContain('test/e2e/auth.test.ts');
  });

  it('the workspace-only suites exist (a renamed suite would run, and fail, in a copy)', () => {
    for (const suite of workspaceOnly) expect(files).toContain(suite);
  });

  it('every other file imports only what a copy has', () => {
    const offenders = files
      .filter((file) => !workspaceOnly.includes(file))
      .map((file) => ({ file, imports: outsideImports(join(appDir, file)) }))
      .filter(({ imports }) => imports.length > 0);
    expect(offenders).toEqual([]);
  });
});
