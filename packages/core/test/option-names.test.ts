import express from 'express';
import request from 'supertest';
import {
  checkOptionNames,
  errorHandler,
  memoryStore,
  nearestName,
  redisStore,
  ShieldwallConfigError,
  type OptionNames,
} from '../src/index.js';

interface ThingOptions {
  maxEntries?: number;
  windowMs?: number;
  logger?: unknown;
}
const names: OptionNames<ThingOptions> = { maxEntries: true, windowMs: true, logger: true };

function refusal(run: () => unknown): ShieldwallConfigError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(ShieldwallConfigError);
    return error as ShieldwallConfigError;
  }
  throw new Error('expected a ShieldwallConfigError');
}

describe('checkOptionNames', () => {
  it('accepts known names, and no options at all', () => {
    expect(() =>
      checkOptionNames('@x/y', 'thing()', { maxEntries: 1, logger: undefined }, names),
    ).not.toThrow();
    expect(() => checkOptionNames('@x/y', 'thing()', undefined, names)).not.toThrow();
    expect(() => checkOptionNames('@x/y', 'thing()', {}, names)).not.toThrow();
  });

  it('refuses a misspelt name, naming it, the package and the nearest valid name', () => {
    const error = refusal(() => checkOptionNames('@x/y', 'thing()', { windowMS: 5 }, names));
    expect(error.message).toBe('@x/y: thing() has no option `windowMS`; did you mean `windowMs`?');
    expect(error.packageName).toBe('@x/y');
    expect(error.code).toBe('invalid_option');
  });

  it('answers a foreign name from the hints, with the note', () => {
    const error = refusal(() =>
      checkOptionNames('@x/y', 'thing()', { max: 5 }, names, {
        hints: { max: 'maxEntries' },
        hintNote: 'Other libraries’ names are listed in the README.',
      }),
    );
    expect(error.message).toBe(
      '@x/y: thing() has no option `max`; did you mean `maxEntries`? Other libraries’ names are listed in the README.',
    );
  });

  it('lists every valid name when nothing is close, and never shows the value', () => {
    const error = refusal(() => checkOptionNames('@x/y', 'thing()', { secretKey: 'hunter2' }, names));
    expect(error.message).toBe(
      '@x/y: thing() has no option `secretKey`; the options are `maxEntries`, `windowMs`, `logger`.',
    );
    expect(error.message).not.toContain('hunter2');
  });

  it('refuses an unknown name even when its value is undefined', () => {
    expect(() => checkOptionNames('@x/y', 'thing()', { windowMS: undefined }, names)).toThrow(
      /no option `windowMS`/,
    );
  });

  it('does not take inherited names such as toString or __proto__ for options', () => {
    const options = JSON.parse('{"__proto__": {"polluted": true}}') as unknown;
    expect(() => checkOptionNames('@x/y', 'thing()', options, names)).toThrow(/no option `__proto__`/);
    expect(() => checkOptionNames('@x/y', 'thing()', { toString: 1 }, names)).toThrow(/no option `toString`/);
  });

  it('refuses options that are not an object', () => {
    for (const [value, got] of [
      [null, 'null'],
      [[], 'an array'],
      ['max', 'string'],
      [5, 'number'],
    ] as const) {
      expect(() => checkOptionNames('@x/y', 'thing()', value, names)).toThrow(
        `@x/y: thing() takes an options object; got ${got}.`,
      );
    }
  });

  it('refuses a factory mounted uncalled, as app.use(thing)', async () => {
    const app = express();
    let caught: unknown;
    app.use((req, _res, next) => {
      try {
        checkOptionNames('@x/y', 'thing()', req, names);
      } catch (error) {
        caught = error;
      }
      next();
    });
    app.get('/', (_req, res) => res.end());
    await request(app).get('/').expect(200);
    expect((caught as Error).message).toBe(
      '@x/y: `thing` was used as middleware; call it first: app.use(thing()).',
    );
  });
});

describe('nearestName', () => {
  it('finds typos, case slips and prefixes, and nothing for a different idea', () => {
    const valid = ['maxEntries', 'sweepIntervalMs', 'clock'];
    expect(nearestName('maxEntires', valid)).toBe('maxEntries');
    expect(nearestName('MAXENTRIES', valid)).toBe('maxEntries');
    expect(nearestName('sweepInterval', valid)).toBe('sweepIntervalMs');
    expect(nearestName('database', valid)).toBeUndefined();
  });
});

describe('core factories check their option names', () => {
  it('memoryStore, redisStore and errorHandler refuse unknown options', () => {
    expect(() => memoryStore({ maxEntrys: 5 } as never)).toThrow(
      '@shieldwall/core: memoryStore() has no option `maxEntrys`; did you mean `maxEntries`?',
    );
    expect(() => redisStore({ client: {} } as never)).toThrow(
      '@shieldwall/core: redisStore() has no option `client`; did you mean `sendCommand`?',
    );
    expect(() => errorHandler({ log: console } as never)).toThrow(
      '@shieldwall/core: errorHandler() has no option `log`; did you mean `logger`?',
    );
  });
});
