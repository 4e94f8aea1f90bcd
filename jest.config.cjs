// One jest run covers every package, the reference app and the cross-package suites. TypeScript goes through
// SWC (fast, no type checking: `pnpm typecheck` does that). ESM-only dependencies are transformed too.
const esmOnly = ['jose', '@noble/curves', '@noble/hashes', '@scure/base'];
const esmPattern = esmOnly.map((name) => name.replace('/', '\\+')).join('|');

/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/packages', '<rootDir>/examples', '<rootDir>/test'],
  testMatch: ['**/test/**/*.test.ts'],
  testPathIgnorePatterns: ['/node_modules/', '/dist/', '/test/packaging/.work/'],
  // The packaging test unpacks tarballs there; their package.json files would shadow the workspace packages.
  modulePathIgnorePatterns: ['<rootDir>/test/packaging/.work/'],
  transform: {
    '^.+\\.(t|j|mj)s$': [
      '@swc/jest',
      {
        jsc: { parser: { syntax: 'typescript' }, target: 'es2022' },
        module: { type: 'commonjs' },
      },
    ],
  },
  transformIgnorePatterns: [`/node_modules/(?!(\\.pnpm/(${esmPattern})@|${esmOnly.join('|')}))`],
  // Sources import './x.js' (ESM style); in the workspace the file is './x.ts'.
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  moduleFileExtensions: ['ts', 'js', 'mjs', 'cjs', 'json'],
  testTimeout: 30000,
  maxWorkers: '50%',
};
