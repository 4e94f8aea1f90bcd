import { randomBytes } from 'node:crypto';
import { oauthProviders } from '../src/index.js';

const pkg = '@shieldwall/oauth-providers';
const options = {
  publicOrigin: 'https://app.example.com',
  providers: { github: { clientId: 'id', clientSecret: 'secret' } },
  stateKey: randomBytes(32),
  onProfile: async () => {},
};

describe('oauthProviders: option names are checked at start-up', () => {
  it('refuses a misspelt or foreign name with the nearest valid one', () => {
    expect(() => oauthProviders({ ...options, successRedirct: '/' } as never)).toThrow(
      `${pkg}: oauthProviders() has no option \`successRedirct\`; did you mean \`successRedirect\`?`,
    );
    expect(() => oauthProviders({ ...options, callbackURL: '/cb' } as never)).toThrow(
      `${pkg}: oauthProviders() has no option \`callbackURL\`; did you mean \`basePath\`?`,
    );
  });
});
