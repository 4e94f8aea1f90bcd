import { keyExchange } from '../src/index.js';

const pkg = '@shieldwall/key-exchange';

describe('keyExchange: option names are checked at start-up', () => {
  it('refuses a misspelt or foreign name with the nearest valid one', () => {
    expect(() => keyExchange({ channelTTLMs: 1000 } as never)).toThrow(
      `${pkg}: keyExchange() has no option \`channelTTLMs\`; did you mean \`channelTtlMs\`?`,
    );
    expect(() => keyExchange({ origins: ['https://a.example'] } as never)).toThrow(
      `${pkg}: keyExchange() has no option \`origins\`; did you mean \`allowedOrigins\`?`,
    );
  });

  it('checks the names inside appVersions', () => {
    expect(() => keyExchange({ appVersions: { keys: [], minVersion: { ios: '1.0.0' } } as never })).toThrow(
      `${pkg}: keyExchange({ appVersions }) has no option \`minVersion\`; did you mean \`minVersions\`?`,
    );
  });
});
