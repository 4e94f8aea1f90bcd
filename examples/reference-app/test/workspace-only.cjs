// Suites that borrow the oauth-providers package's fake providers (five providers and an OIDC issuer on loopback),
// which exist only in the workspace. jest.config.cjs leaves them out of a copy of this folder; the workspace's
// test/workspace/app-self-contained.test.ts holds every other suite to importing nothing from outside the folder.
const { existsSync } = require('node:fs');
const { join } = require('node:path');

const fakes = join(__dirname, '..', '..', '..', 'packages', 'oauth-providers', 'test', 'fake-providers.ts');

module.exports = {
  suites: ['test/e2e/oauth.test.ts', 'test/e2e/oauth-races.test.ts', 'test/e2e/phone.test.ts'],
  inWorkspace: () => existsSync(fakes),
};
