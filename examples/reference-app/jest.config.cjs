// The reference app's own test run: `npm test` in this folder, in the workspace or in a copy of the folder
// installed with npm. TypeScript goes through SWC (no type checking); ESM-only dependencies are transformed too.
const esmOnly = ['jose', '@noble/curves', '@noble/hashes', '@scure/base', 'kysely'];
// PGlite's CommonJS build loads its WebAssembly with dynamic import(), which jest's VM refuses without
// --experimental-vm-modules: SWC turns those into require() calls.
const dynamicImports = ['@electric-sql/pglite'];
const transformed = [...esmOnly, ...dynamicImports];
// pnpm keeps packages under node_modules/.pnpm/<name with + for />@<version>/; npm keeps them flat.
const pnpmNames = transformed.map((name) => name.replace('/', '\\+')).join('|');

// A few suites borrow fakes that live in the workspace only (test/workspace-only.cjs); a copy runs the rest.
const workspaceOnly = require('./test/workspace-only.cjs');
const notInCopy = workspaceOnly.inWorkspace()
  ? []
  : workspaceOnly.suites.map((suite) => `<rootDir>/${suite.replace(/\./g, '\\.')}$`);

/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  rootDir: __dirname,
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  testPathIgnorePatterns: ['/node_modules/', ...notInCopy],
  transform: {
    '^.+\\.(t|j|mj|cj)s$': [
      '@swc/jest',
      {
        jsc: { parser: { syntax: 'typescript' }, target: 'es2022' },
        module: { type: 'commonjs' },
      },
    ],
  },
  transformIgnorePatterns: [`/node_modules/(?!(\\.pnpm/(${pnpmNames})@|${transformed.join('|')}))`],
  moduleNameMapper: {
    // The tests import the app by its package name, as the workspace's other suites do.
    '^@shieldwall/reference-app$': '<rootDir>/src/index.ts',
    // Sources import './x.js' (ESM style); here the file is './x.ts'.
    '^(\\.{1,2}/.*)\\.js$': '$1',
  },
  moduleFileExtensions: ['ts', 'js', 'mjs', 'cjs', 'json'],
  testTimeout: 30000,
};
