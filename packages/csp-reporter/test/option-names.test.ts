import { cspReporter } from '../src/index.js';

describe('cspReporter: option names are checked at start-up', () => {
  it('refuses a misspelt name with the nearest valid one', () => {
    expect(() => cspReporter({ sampleRat: 0.5 } as never)).toThrow(
      '@shieldwall/csp-reporter: cspReporter() has no option `sampleRat`; did you mean `sampleRate`?',
    );
    expect(() => cspReporter({ reportUri: '/csp' } as never)).toThrow(/did you mean `path`\?/);
  });

  it('refuses options that are not an object', () => {
    expect(() => cspReporter('/csp' as never)).toThrow(
      '@shieldwall/csp-reporter: cspReporter() takes an options object; got string.',
    );
  });
});
