import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

// The reference app names the packages as a copy of it must (`^x.y.z`, what npm installs from the registry or a
// tarball); pnpm links them to the workspace here (linkWorkspacePackages). A `workspace:` range, or a range the
// workspace's version no longer satisfies, would break the copy or install something other than what is tested.

const root = join(__dirname, '..', '..');

interface Manifest {
  name: string;
  version: string;
  private?: boolean;
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
}

const read = (dir: string): Manifest =>
  JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as Manifest;

const versions = new Map(
  readdirSync(join(root, 'packages'))
    .map((folder) => read(join(root, 'packages', folder)))
    .map((pkg) => [pkg.name, pkg] as const),
);

const app = read(join(root, 'examples', 'reference-app'));

/** Whether `version` (x.y.z) is in the caret range `^a.b.c`, as npm's semver reads it. */
function caretSatisfies(range: string, version: string): boolean {
  const want = /^\^(\d+)\.(\d+)\.(\d+)$/.exec(range);
  const have = /^(\d+)\.(\d+)\.(\d+)$/.exec(version);
  if (!want || !have) return false;
  const [a, b, c] = want.slice(1).map(Number) as [number, number, number];
  const [x, y, z] = have.slice(1).map(Number) as [number, number, number];
  const atLeast = x !== a ? x > a : y !== b ? y > b : z >= c;
  if (!atLeast) return false;
  // ^1.2.3 := <2.0.0, ^0.2.3 := <0.3.0, ^0.0.3 := <0.0.4
  if (a > 0) return x === a;
  if (b > 0) return x === 0 && y === b;
  return x === 0 && y === 0 && z === c;
}

describe('the reference app depends on published-style versions of the packages', () => {
  const shieldwall = Object.entries({ ...app.dependencies, ...app.devDependencies }).filter(([name]) =>
    name.startsWith('@shieldwall/'),
  );

  it('names at least the packages it is built from', () => {
    expect(shieldwall.map(([name]) => name)).toContain('@shieldwall/core');
  });

  it.each(shieldwall)('%s: %s is a caret range the workspace version satisfies', (name, range) => {
    const pkg = versions.get(name);
    expect(pkg).toBeDefined();
    expect(pkg?.private).not.toBe(true);
    expect(range).toMatch(/^\^\d+\.\d+\.\d+$/);
    expect(caretSatisfies(range, pkg!.version)).toBe(true);
  });
});

describe('caretSatisfies', () => {
  it.each([
    ['^0.1.0', '0.1.0', true],
    ['^0.1.0', '0.1.7', true],
    ['^0.1.0', '0.2.0', false],
    ['^0.1.2', '0.1.1', false],
    ['^1.2.3', '1.9.0', true],
    ['^1.2.3', '2.0.0', false],
    ['^0.0.3', '0.0.4', false],
    ['workspace:^', '0.1.0', false],
    ['^0.1.0', '0.1.0-beta.1', false],
  ])('%s with %s: %s', (range, version, expected) => {
    expect(caretSatisfies(range, version)).toBe(expected);
  });
});
