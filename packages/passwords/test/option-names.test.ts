import { memoryStore } from '@shieldwall/core';
import { bcryptPool, passwordPolicy, passwords, resetTokens } from '../src/index.js';

const pkg = '@shieldwall/passwords';

// Every call here throws before a worker pool or a timer exists, so nothing needs closing.
describe('passwords: option names are checked at start-up', () => {
  it('passwords() refuses a misspelt name and answers other libraries’ names with ours', () => {
    expect(() => passwords({ minLenght: 16 } as never)).toThrow(
      `${pkg}: passwords() has no option \`minLenght\`; did you mean \`minLength\`?`,
    );
    expect(() => passwords({ saltRounds: 10 } as never)).toThrow(
      `${pkg}: passwords() has no option \`saltRounds\`; did you mean \`cost\`?`,
    );
    expect(() => passwords({ rounds: 10 } as never)).toThrow(
      `${pkg}: passwords() has no option \`rounds\`; did you mean \`cost\`?`,
    );
    expect(() => passwords({ workers: 2 } as never)).toThrow(
      `${pkg}: passwords() has no option \`workers\`; did you mean \`poolSize\`?`,
    );
  });

  it('passwordPolicy, resetTokens and bcryptPool refuse unknown names', () => {
    expect(() => passwordPolicy({ check: [] } as never)).toThrow(
      `${pkg}: passwordPolicy() has no option \`check\`; did you mean \`checks\`?`,
    );
    const send = () => Promise.resolve();
    expect(() => resetTokens({ store: memoryStore(), send, ttl: 60 } as never)).toThrow(
      `${pkg}: resetTokens() has no option \`ttl\`; did you mean \`ttlSeconds\`?`,
    );
    expect(() => bcryptPool({ poolSize: 2 } as never)).toThrow(
      `${pkg}: bcryptPool() has no option \`poolSize\`; did you mean \`size\`?`,
    );
  });

  it('refuses options that are not an object', () => {
    expect(() => passwords(12 as never)).toThrow(`${pkg}: passwords() takes an options object; got number.`);
  });
});
