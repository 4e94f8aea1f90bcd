// `pnpm test:fault`: the fault-and-load harness alone. The root configuration leaves test/fault out of `npm test`
// (it starts its own cluster and instances, and runs for minutes); this one takes the same transforms and only it.
const base = require('../../jest.config.cjs');

/** @type {import('jest').Config} */
module.exports = {
  ...base,
  rootDir: '../..',
  roots: ['<rootDir>/test/fault'],
  testPathIgnorePatterns: base.testPathIgnorePatterns.filter((pattern) => pattern !== '/test/fault/'),
  maxWorkers: 1,
};
