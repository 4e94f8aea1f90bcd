// One jest run covers every package, the reference app and the cross-package suites. TypeScript goes through
// SWC (fast, no type checking: `pnpm typecheck` does that). ESM-only dependencies are transformed too.
const esmOnly = ['jose', '@noble/curves', '@noble/hashes', '@scure/base', 'kysely'];
// PGlite's CommonJS build loads its WebAssembly with dynamic import(), which jest's VM refuses without
// --experimental-vm-modules: SWC turns those into require() calls.
const dynamicImports = ['@electric-sql/pglite'];
const esmPattern = [...esmOnly, ...dynamicImports].map((name) => name.replace('/', '\\+')).join('|');

/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/packages', '<rootDir>/examples', '<rootDir>/test'],
  testMatch: ['**/test/**/*.test.ts'],
  // Run alone, each in its own CI step: test/fault (`pnpm test:fault`, its own config) starts a Redis Cluster and app
  // instances; test/app-copy (`pnpm test:app-copy`) installs and runs a copy of the reference app.
  testPathIgnorePatterns: [
    '/node_modules/',
    '/dist/',
    '/test/packaging/.work/',
    '/test/fault/',
    '/test/app-copy/',
  ],
  // The packaging test unpacks tarballs there; their package.json files would shadow the workspace packages.
  modulePathIgnorePatterns: ['<rootDir>/test/packaging/.work/'],
  transform: {
    '^.+\\.(t|j|mj|cj)s$': [
      '@swc/jest',
      {
        jsc: { parser: { syntax: 'typescript' }, target: 'es2022' },
        module: { type: 'commonjs' },
      },
    ],
  },
  transformIgnorePatterns: [
    `/node_modules/(?!(\\.pnpm/(${esmPattern})@|${[...esmOnly, ...dynamicImports].join('|')}))`,
  ],
  // Sources import './x.js' (ESM style); in the workspace the file is './x.ts'.
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  moduleFileExtensions: ['ts', 'js', 'mjs', 'cjs', 'json'],
  // Progress lines when the output is not a terminal, and one closing line naming what was skipped and why.
  reporters: ['default', '<rootDir>/scripts/jest-run-reporter.cjs'],
  testTimeout: 30000,
  // Slowest files first (durations from jest's cache, estimates on a fresh clone): see the file.
  testSequencer: '<rootDir>/scripts/jest-sequencer.cjs',
  // One worker a core: most suites wait on child processes, loopback sockets and bcrypt's worker threads, so two
  // workers on two cores overlap that waiting. core, headers, request-guard and csp-reporter (25 files): 260 s with
  // one worker, 162 s with two, back to back at load 13-18 on this two-core machine (2026-12-05).
  maxWorkers: '100%',
};
