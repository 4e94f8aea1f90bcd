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
  // test/fault runs alone (`pnpm test:fault`, its own config): it starts a Redis Cluster and app instances.
  testPathIgnorePatterns: ['/node_modules/', '/dist/', '/test/packaging/.work/', '/test/fault/'],
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
  maxWorkers: '50%',
};
