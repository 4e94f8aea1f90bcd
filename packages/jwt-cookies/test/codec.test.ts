import { randomBytes } from 'node:crypto';
import { manualClock } from '@shieldwall/core';
import { jsonObject } from '../src/hs256.js';
import { resolveOptions } from '../src/options.js';
import { TokenError, tokenCodec } from '../src/tokens.js';

// The codec's own contract, below the middleware: the middleware's refusals (tokens.test.ts) cannot tell some of
// these apart, since a second check behind them (the family's expiry, a missing `sub`) would refuse the same token.

const b64 = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');

describe('jwt-cookies codec: jsonObject', () => {
  it('reads a JSON object and nothing else: arrays, null, strings, numbers and bad JSON are undefined', () => {
    expect(jsonObject(b64({ alg: 'HS256' }))).toEqual({ alg: 'HS256' });
    expect(jsonObject(b64({}))).toEqual({});
    for (const value of [null, [], [{ alg: 'HS256' }], 'HS256', 42, true])
      expect(jsonObject(b64(value))).toBeUndefined();
    expect(jsonObject(Buffer.from('{"alg":').toString('base64url'))).toBeUndefined();
    expect(jsonObject('')).toBeUndefined();
  });
});

describe('jwt-cookies codec: expiry without options', () => {
  const clock = manualClock(Date.UTC(2026, 5, 1));
  const codec = tokenCodec(
    resolveOptions({
      keys: [{ id: 'k1', key: randomBytes(32) }],
      secure: false,
      clock,
      clockToleranceSeconds: 5,
    }),
  );
  const expired = (fn: () => unknown): TokenError => {
    try {
      fn();
    } catch (error) {
      if (error instanceof TokenError) return error;
      throw error;
    }
    throw new Error('accepted an expired token');
  };

  it('refuses an expired access or refresh token as expired unless told to ignore expiry', () => {
    const access = codec.signAccess('user-1', 'fam-1');
    const refresh = codec.signRefresh('user-1', 'fam-1', 'jti-1', Math.floor(clock.now() / 1000) + 60);
    expect(codec.verifyAccess(access).sub).toBe('user-1');
    expect(codec.verifyRefresh(refresh).fam).toBe('fam-1');
    clock.advance(3_600_000);
    expect(expired(() => codec.verifyAccess(access)).problem).toBe('expired');
    expect(expired(() => codec.verifyRefresh(refresh)).problem).toBe('expired');
    expect(codec.verifyAccess(access, { ignoreExpiration: true }).sid).toBe('fam-1');
    expect(codec.verifyRefresh(refresh, { ignoreExpiration: true }).jti).toBe('jti-1');
  });

  it('says which problem it found in its message, for logs', () => {
    expect(new TokenError('expired').message).toBe('token expired');
    expect(new TokenError('invalid').message).toBe('token invalid');
  });
});
