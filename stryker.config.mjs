// Mutation testing of the security-critical modules (issue 21). Run through `pnpm mutate` (scripts/mutate.mjs),
// which mutates one module at a time with its own incremental file; see docs/contributing.md.
// scripts/mutate.mjs names the module's tests and report; run by hand, Stryker takes every package's tests.
// STRYKER_TESTS: comma-separated test folders or files (a module's tests, not its whole package's, keep a run short).
const tests = (process.env.STRYKER_TESTS ?? 'packages').split(',');
const testMatch = tests.map((path) =>
  path.endsWith('.ts') ? `<rootDir>/${path}` : `<rootDir>/${path}/**/*.test.ts`,
);
const report = process.env.STRYKER_REPORT ?? 'reports/mutation/mutation';

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  packageManager: 'pnpm',
  // pnpm keeps the plugins out of core's own node_modules, where Stryker's default glob looks.
  plugins: ['@stryker-mutator/jest-runner', '@stryker-mutator/typescript-checker'],
  testRunner: 'jest',
  jest: {
    projectType: 'custom',
    configFile: 'jest.config.cjs',
    config: { roots: ['<rootDir>/packages'], testMatch },
    enableFindRelatedTests: true,
  },
  checkers: ['typescript'],
  tsconfigFile: 'tsconfig.stryker.json',
  typescriptChecker: { prioritizePerformanceOverAccuracy: true },
  coverageAnalysis: 'perTest',
  // The workspace packages import each other through pnpm's symlinks, which a sandbox copy would point back at
  // the unmutated tree; mutating in place keeps every import on the mutant. Stryker restores the files on exit.
  inPlace: true,
  // Jest compiles through SWC, which never type-checks, so Stryker need not add `// @ts-nocheck` to files; left on,
  // in place, it rewrites every source and test file in the repository for the length of the run.
  disableTypeChecks: false,
  concurrency: 1,
  timeoutMS: 20000,
  incremental: true,
  reporters: ['clear-text', 'progress', 'html', 'json'],
  htmlReporter: { fileName: `${report}.html` },
  jsonReporter: { fileName: `${report}.json` },
  thresholds: { high: 90, low: 80, break: null },
  ignoreStatic: true,
  tempDirName: '.stryker-tmp',
};
