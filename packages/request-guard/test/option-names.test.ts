import { bodyGuard, clientIp, corsGuard, httpsRedirect } from '../src/index.js';

const pkg = '@shieldwall/request-guard';

describe('request-guard: option names are checked at start-up', () => {
  it('bodyGuard refuses unknown names, with the nearest or the usual foreign one', () => {
    expect(() => bodyGuard({ limt: 10 } as never)).toThrow(
      `${pkg}: bodyGuard() has no option \`limt\`; did you mean \`limit\`?`,
    );
    expect(() => bodyGuard({ maxBytes: 10 } as never)).toThrow(
      `${pkg}: bodyGuard() has no option \`maxBytes\`; did you mean \`limit\`?`,
    );
    expect(() => bodyGuard({ type: 'application/json' } as never)).toThrow(/did you mean `types`\?/);
  });

  it('bodyGuard checks the names inside each route', () => {
    expect(() => bodyGuard({ routes: [{ path: '/a', types: ['text/plain'], limits: 5 } as never] })).toThrow(
      `${pkg}: bodyGuard({ routes[0] }) has no option \`limits\`; did you mean \`limit\`?`,
    );
  });

  it('corsGuard answers the cors package’s `origin` with `origins`', () => {
    expect(() => corsGuard({ origin: ['https://a.example'] } as never)).toThrow(
      `${pkg}: corsGuard() has no option \`origin\`; did you mean \`origins\`?`,
    );
    expect(() => corsGuard({ origins: [], credential: true } as never)).toThrow(
      /did you mean `credentials`\?/,
    );
  });

  it('httpsRedirect and clientIp refuse unknown names', () => {
    expect(() => httpsRedirect({ origin: 'https://a.example', skipPath: ['/healthz'] } as never)).toThrow(
      `${pkg}: httpsRedirect() has no option \`skipPath\`; did you mean \`skipPaths\`?`,
    );
    expect(() => clientIp({ trustProxy: true } as never)).toThrow(
      `${pkg}: clientIp() has no option \`trustProxy\`; did you mean \`mode\`?`,
    );
  });

  it('refuses options that are not an object', () => {
    expect(() => httpsRedirect('https://a.example' as never)).toThrow(
      `${pkg}: httpsRedirect() takes an options object; got string.`,
    );
    expect(() => corsGuard(['https://a.example'] as never)).toThrow(
      `${pkg}: corsGuard() takes an options object; got an array.`,
    );
  });
});
