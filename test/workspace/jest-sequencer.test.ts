import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// scripts/jest-sequencer.cjs: the order jest hands files to its workers (slowest first).

interface FakeTest {
  path: string;
  context: {
    config: { cacheDirectory: string; id: string; haste: object };
    hasteFS: { getSize(path: string): number };
  };
}
interface Sequencer {
  sort(tests: FakeTest[]): FakeTest[];
  _getCachePath(context: FakeTest['context']): string;
}
type SequencerClass = new (options: {
  contexts: Array<FakeTest['context']>;
  globalConfig: object;
}) => Sequencer;

const SlowestFirst = createRequire(__filename)(
  join(__dirname, '..', '..', 'scripts', 'jest-sequencer.cjs'),
) as SequencerClass;

describe('the slowest-first test sequencer', () => {
  const cacheDirectory = mkdtempSync(join(tmpdir(), 'sw-sequencer-'));
  afterAll(() => rmSync(cacheDirectory, { recursive: true, force: true }));
  const sizes: Record<string, number> = { '/r/packages/a/test/long-file.test.ts': 20_000 };
  const context = {
    config: { cacheDirectory, id: 'sequencer-test', haste: {}, cache: true },
    hasteFS: { getSize: (path: string) => sizes[path] ?? 1000 },
  };
  const tests = (paths: string[]): FakeTest[] => paths.map((path) => ({ path, context }));
  const paths = [
    '/r/packages/a/test/short.test.ts',
    '/r/packages/a/test/long-file.test.ts',
    '/r/test/packaging/packaging.test.ts',
    '/r/examples/reference-app/test/production/build.test.ts',
  ];

  it('without durations (a fresh clone): the suites known to spawn slow work first, then by size', () => {
    const sequencer = new SlowestFirst({ contexts: [context], globalConfig: {} });
    expect(sequencer.sort(tests(paths)).map((t) => t.path)).toEqual([
      '/r/test/packaging/packaging.test.ts',
      '/r/examples/reference-app/test/production/build.test.ts',
      '/r/packages/a/test/long-file.test.ts',
      '/r/packages/a/test/short.test.ts',
    ]);
  });

  it("with jest's cached durations: the failed first, then the slowest, the estimates among them", () => {
    // jest's perf cache: [0 = failed, 1 = passed, duration in ms]
    const probe = new SlowestFirst({ contexts: [context], globalConfig: {} });
    writeFileSync(
      probe._getCachePath(context),
      JSON.stringify({
        '/r/packages/a/test/short.test.ts': [1, 900_000],
        '/r/packages/a/test/long-file.test.ts': [0, 10],
        '/r/test/packaging/packaging.test.ts': [1, 100],
      }),
    );
    const sequencer = new SlowestFirst({ contexts: [context], globalConfig: {} });
    expect(sequencer.sort(tests(paths)).map((t) => t.path)).toEqual([
      '/r/packages/a/test/long-file.test.ts',
      '/r/packages/a/test/short.test.ts',
      '/r/examples/reference-app/test/production/build.test.ts',
      '/r/test/packaging/packaging.test.ts',
    ]);
  });
});
