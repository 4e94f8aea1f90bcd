import { ShieldwallConfigError } from '@shieldwall/core';
import request from 'supertest';
import { rateLimit, rateLimiters, rateLimitPresets, type RateLimitOptions } from '../src/index.js';
import { probeApp } from './probe-app.js';

describe('rateLimit options', () => {
  const bad: Array<[string, Record<string, unknown>, RegExp]> = [
    ['a missing name', {}, /`name`/],
    ['a name with a hash-tag brace', { name: 'lo{gin}' }, /`name`/],
    ['a zero limit', { name: 'x', limit: 0 }, /`limit` is 0; pass a positive whole number/],
    ['a fractional window', { name: 'x', windowMs: 1.5 }, /`windowMs`/],
    ['a window past setTimeout', { name: 'x', windowMs: 2 ** 31 }, /`windowMs`/],
    ['an unknown policy', { name: 'x', onStoreError: 'ignore' }, /`onStoreError` is "ignore"; pass one of/],
    ['an IPv6 subnet out of range', { name: 'x', ipv6Subnet: 128 }, /`ipv6Subnet`/],
    ['a bad allowlist entry', { name: 'x', allowlist: ['10.0.0.0/33'] }, /`allowlist`/],
    ['a non-IP allowlist entry', { name: 'x', allowlist: ['localhost'] }, /`allowlist`/],
    ['a non-function sendCommand', { name: 'x', sendCommand: 'redis://' }, /`sendCommand`/],
    ['a challenge without verify', { name: 'x', challenge: { issue() {} } }, /`challenge`/],
    ['a prefix with braces', { name: 'x', prefix: 'a{b}' }, /`prefix`/],
    ['a logger without error()', { name: 'x', logger: { info() {}, warn() {} } }, /`logger`/],
    ['a negative maxChallenges', { name: 'x', maxChallenges: -1 }, /`maxChallenges`/],
    ['an unknown header draft', { name: 'x', standardHeaders: 'draft-9' }, /`standardHeaders` is "draft-9"/],
    ['standardHeaders: true', { name: 'x', standardHeaders: true }, /`standardHeaders` is true/],
    [
      "express-rate-limit's `max`",
      { name: 'x', max: 5 },
      /rateLimit\(\) has no option `max`; did you mean `limit`\?/,
    ],
    ['a misspelt name', { name: 'x', windowMS: 1000 }, /no option `windowMS`; did you mean `windowMs`\?/],
    ['options that are not an object', 'login' as never, /rateLimit\(\) takes an options object; got string/],
  ];
  it.each(bad)('refuses %s at start-up, naming the package', (_label, options, message) => {
    expect(() => rateLimit(options as unknown as RateLimitOptions)).toThrow(ShieldwallConfigError);
    expect(() => rateLimit(options as unknown as RateLimitOptions)).toThrow(message);
    expect(() => rateLimit(options as unknown as RateLimitOptions)).toThrow(/^@shieldwall\/rate-limits: /);
  });

  it('catches app.use(rateLimit) used as middleware', () => {
    const fakeReq = { socket: {}, method: 'GET' } as unknown as RateLimitOptions;
    expect(() => rateLimit(fakeReq)).toThrow(/call it first/);
  });

  it('never changes the options it is given', async () => {
    const cost = (): number => 1;
    const options: RateLimitOptions = {
      name: 'login',
      allowlist: ['10.0.0.0/8'],
      onStoreError: 'fail-open',
      cost,
    };
    const copy = { ...options, allowlist: [...options.allowlist!] };
    const limiter = rateLimit(options);
    await request(probeApp(limiter)).get('/probe').expect(200);
    expect(options).toEqual(copy);
    expect(Object.keys(options)).toEqual(Object.keys(copy));
    await limiter.close();
    // A frozen object works too: nothing is written to it.
    const frozen = rateLimit(Object.freeze({ name: 'api', limit: 3 }));
    await frozen.close();

    const shared = { limits: { login: { limit: 3 } }, allowlist: ['::1'] };
    const before = JSON.stringify(shared);
    const set = rateLimiters(shared);
    expect(JSON.stringify(shared)).toBe(before);
    await set.close();
  });

  it('takes limit and window from the preset of the same name, unless given', async () => {
    const login = rateLimit({ name: 'login' });
    const custom = rateLimit({ name: 'login', limit: 2 });
    const other = rateLimit({ name: 'reports' });
    const get = async (l: ReturnType<typeof rateLimit>) => (await request(probeApp(l)).get('/probe')).headers;
    expect((await get(login))['x-ratelimit-limit']).toBe(String(rateLimitPresets.login.limit));
    expect((await get(login))['ratelimit-policy']).toBe('10;w=900');
    expect((await get(custom))['x-ratelimit-limit']).toBe('2');
    expect((await get(other))['x-ratelimit-limit']).toBe('100');
    for (const l of [login, custom, other]) await l.close();
  });

  it('rateLimiters builds every preset once and refuses unknown names', async () => {
    const set = rateLimiters({ limits: { search: { limit: 20 } } });
    expect(set.get('login')).toBe(set.get('login'));
    expect(set.get('search').limiterName).toBe('search');
    for (const name of Object.keys(rateLimitPresets)) expect(set.get(name).limiterName).toBe(name);
    expect(() => set.get('nope')).toThrow(/`name` is "nope"; use one of login, register/);
    await set.close();
  });

  it('rateLimiters refuses unknown option names, its own and each limiter’s, before building any limiter', () => {
    expect(() => rateLimiters({ limit: { login: { limit: 3 } } } as never)).toThrow(
      '@shieldwall/rate-limits: rateLimiters() has no option `limit`; did you mean `limits`?',
    );
    expect(() => rateLimiters({ limits: { login: { max: 3 } } } as never)).toThrow(
      '@shieldwall/rate-limits: rateLimiters({ limits.login }) has no option `max`; did you mean `limit`?',
    );
    expect(() => rateLimiters({ limits: { login: { name: 'other' } } } as never)).toThrow(
      /rateLimiters\(\{ limits.login \}\) has no option `name`/,
    );
  });
});
