import { createHmac, generateKeyPairSync, randomBytes } from 'node:crypto';
import jwt from 'jsonwebtoken';
import request from 'supertest';
import { ShieldwallConfigError } from '@shieldwall/core';
import { jwtCookies } from '../src/index.js';
import { cookieHeader, harness, key1, key2, setCookies, type Harness } from './helpers.js';

const b64 = (value: object): string => Buffer.from(JSON.stringify(value)).toString('base64url');

/** An HMAC-SHA256-signed token under any header, so a test can name an algorithm or kid jsonwebtoken won't. */
const forge = (header: object, claims: object, secret: Uint8Array): string => {
  const input = `${b64(header)}.${b64(claims)}`;
  return `${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`;
};

describe('jwt-cookies: verifying access tokens', () => {
  let h: Harness;
  let access: string;
  let refresh: string;
  beforeEach(async () => {
    h = harness();
    const res = await request(h.app).post('/api/auth/login/user-1').expect(204);
    ({ at: access, rt: refresh } = setCookies(res) as { at: string; rt: string });
  });
  afterEach(() => h.close());

  const validClaims = () => {
    const iat = Math.floor(h.clock.now() / 1000);
    return { sub: 'user-1', sid: 'x', iss: 'shieldwall', aud: 'shieldwall', iat, exp: iat + 600 };
  };
  const me = (token: string) => request(h.app).get('/me').set('Cookie', `at=${token}`);
  const expectRefused = async (token: string, code = 'token_invalid') => {
    const res = await me(token).expect(401);
    expect(res.body.error.code).toBe(code);
    expect(res.headers['set-cookie']).toBeUndefined();
  };

  it('accepts the access token it issued and puts the claims on res.locals', async () => {
    const res = await me(access).expect(200);
    expect(res.body).toEqual({ sub: 'user-1' });
    const [header, payload] = access
      .split('.')
      .slice(0, 2)
      .map((part) => JSON.parse(Buffer.from(part, 'base64url').toString()));
    expect(header).toEqual({ alg: 'HS256', typ: 'at+jwt', kid: 'k1' });
    expect(payload).toMatchObject({ sub: 'user-1', iss: 'shieldwall', aud: 'shieldwall' });
    expect(payload.exp - payload.iat).toBe(1200);
  });

  it('answers 401 unauthenticated without a cookie, and optionalAuth passes anonymous', async () => {
    const res = await request(h.app).get('/me').expect(401);
    expect(res.body.error.code).toBe('unauthenticated');
    await request(h.app).get('/maybe').expect(200, { sub: null });
    await request(h.app).get('/maybe').set('Cookie', `at=${access}`).expect(200, { sub: 'user-1' });
    const bad = await request(h.app).get('/maybe').set('Cookie', `at=${access}x`).expect(401);
    expect(bad.body.error.code).toBe('token_invalid');
  });

  it('refuses alg none', async () => {
    const [, payload] = access.split('.');
    await expectRefused(`${b64({ alg: 'none', typ: 'at+jwt', kid: 'k1' })}.${payload}.`);
    await expectRefused(`${b64({ alg: 'HS256', typ: 'at+jwt', kid: 'k1' })}.${payload}.`);
  });

  it('refuses an RS256 token, and an HS256 token made with a public key as the secret', async () => {
    // Both carry good claims, so only the algorithm (or the signature it names) can refuse them.
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const rs = jwt.sign(validClaims(), privateKey, {
      algorithm: 'RS256',
      header: { alg: 'RS256', typ: 'at+jwt', kid: 'k1' },
    });
    await expectRefused(rs);
    const pem = publicKey.export({ type: 'spki', format: 'pem' });
    const confused = jwt.sign(validClaims(), pem, {
      algorithm: 'HS256',
      header: { alg: 'HS256', typ: 'at+jwt', kid: 'k1' },
    });
    await expectRefused(confused);
  });

  it('pins the algorithm: a header naming another one is refused even over a good HMAC', async () => {
    await me(forge({ alg: 'HS256', typ: 'at+jwt', kid: 'k1' }, validClaims(), key1.key)).expect(200);
    for (const alg of ['RS256', 'HS512', 'ES256', 'hs256'])
      await expectRefused(forge({ alg, typ: 'at+jwt', kid: 'k1' }, validClaims(), key1.key));
  });

  it('bounds a token at 4,096 characters: well signed, 4,096 is read and 4,097 refused', async () => {
    // Pads the claims (and the header, whose base64url length steps by 4/3) until the token is exactly `length`.
    const ofLength = (length: number): string => {
      for (let extra = 0; extra < 4; extra++)
        for (let pad = 0; pad < length; pad++) {
          const token = forge(
            { alg: 'HS256', typ: 'at+jwt', kid: 'k1', x: 'x'.repeat(extra) },
            { ...validClaims(), pad: 'p'.repeat(pad) },
            key1.key,
          );
          if (token.length === length) return token;
          if (token.length > length) break;
        }
      throw new Error(`no token of ${length} characters`);
    };
    await me(ofLength(4096)).expect(200);
    await expectRefused(ofLength(4097));
  });

  it('refuses a well-signed header or payload that is JSON but not an object (null, an array, a string)', async () => {
    const header = { alg: 'HS256', typ: 'at+jwt', kid: 'k1' };
    for (const value of [null, [header], 'HS256']) {
      const input = `${Buffer.from(JSON.stringify(value)).toString('base64url')}.${b64(validClaims())}`;
      await expectRefused(`${input}.${createHmac('sha256', key1.key).update(input).digest('base64url')}`);
    }
    for (const value of [null, [validClaims()], 42]) {
      const input = `${b64(header)}.${Buffer.from(JSON.stringify(value)).toString('base64url')}`;
      await expectRefused(`${input}.${createHmac('sha256', key1.key).update(input).digest('base64url')}`);
    }
  });

  it('refuses a tampered payload', async () => {
    const [header, payload, signature] = access.split('.');
    const claims = JSON.parse(Buffer.from(payload!, 'base64url').toString());
    await expectRefused(`${header}.${b64({ ...claims, sub: 'admin' })}.${signature}`);
    // The second-to-last character carries six bits of the MAC: changing it always changes the signature (writing
    // "AA" over the last two left it unchanged about once in 256 runs).
    const changed = signature!.at(-2) === 'A' ? 'B' : 'A';
    await expectRefused(`${header}.${payload}.${signature!.slice(0, -2)}${changed}${signature!.at(-1)!}`);
  });

  it('refuses an unknown or missing kid, and a token from a dropped key', async () => {
    // Signed with the current key, so a lookup that fell back to it would let these through.
    await expectRefused(forge({ alg: 'HS256', typ: 'at+jwt', kid: 'other' }, validClaims(), key1.key));
    await expectRefused(forge({ alg: 'HS256', typ: 'at+jwt' }, validClaims(), key1.key));
    await expectRefused(forge({ alg: 'HS256', typ: 'at+jwt', kid: 1 }, validClaims(), key1.key));
    // A foreign secret under our kid, with good claims: only the signature refuses it.
    await expectRefused(forge({ alg: 'HS256', typ: 'at+jwt', kid: 'k1' }, validClaims(), randomBytes(32)));
    // k1 dropped from the ring: its token, otherwise good, is refused by the deployment that only has k2.
    const dropped = harness({ keys: [key2] }, { store: h.store, clock: h.clock });
    try {
      const res = await request(dropped.app).get('/me').set('Cookie', `at=${access}`).expect(401);
      expect(res.body.error.code).toBe('token_invalid');
    } finally {
      await dropped.close();
    }
  });

  it('refuses wrong iss or aud, and a token from the future', async () => {
    const iat = Math.floor(h.clock.now() / 1000);
    const sign = (extra: object) =>
      jwt.sign(
        { sub: 'u', sid: 's', iss: 'shieldwall', aud: 'shieldwall', iat, exp: iat + 60, ...extra },
        key1.key,
        {
          algorithm: 'HS256',
          header: { alg: 'HS256', typ: 'at+jwt', kid: 'k1' },
        },
      );
    await me(sign({})).expect(200); // the control: this one is good
    await expectRefused(sign({ iss: 'elsewhere' }));
    await expectRefused(sign({ aud: 'another-app' }));
    await expectRefused(sign({ nbf: iat + 600 }));
  });

  it('answers token_expired after 20 minutes, within a small tolerance', async () => {
    h.clock.advance(1200_000 + 4_000);
    await me(access).expect(200);
    h.clock.advance(2_000);
    await expectRefused(access, 'token_expired');
  });

  it('never takes a refresh token as an access token, or the reverse', async () => {
    await expectRefused(refresh);
    const res = await request(h.app).post('/api/auth/refresh').set('Cookie', `rt=${access}`).expect(401);
    expect(res.body.error.code).toBe('token_invalid');
    // and re-labelling the type breaks the signature
    const [, payload, signature] = refresh.split('.');
    await expectRefused(`${b64({ alg: 'HS256', typ: 'at+jwt', kid: 'k1' })}.${payload}.${signature}`);
  });

  it('rotates signing keys by kid: the first key signs, all verify', async () => {
    const rotated = harness({ keys: [key2, key1] }, { store: h.store, clock: h.clock });
    try {
      await request(rotated.app).get('/me').set('Cookie', `at=${access}`).expect(200);
      const res = await request(rotated.app)
        .post('/api/auth/refresh')
        .set('Cookie', `rt=${refresh}`)
        .expect(204);
      const fresh = setCookies(res);
      expect(JSON.parse(Buffer.from(fresh.at!.split('.')[0]!, 'base64url').toString()).kid).toBe('k2');
      // the old deployment, which does not know k2 yet, refuses it
      await expectRefused(fresh.at!);
      await request(rotated.app).get('/me').set('Cookie', cookieHeader(fresh)).expect(200);
    } finally {
      await rotated.close();
    }
  });
});

describe('jwt-cookies: options', () => {
  it('checks the secret length and ids at start-up', () => {
    expect(() => jwtCookies({ keys: [] })).toThrow(ShieldwallConfigError);
    expect(() => jwtCookies({ keys: [{ id: 'k', key: randomBytes(31) }] })).toThrow(/31 bytes/);
    expect(() => jwtCookies({ keys: [{ id: 'bad id', key: randomBytes(32) }] })).toThrow(/id/);
    expect(() => jwtCookies({ keys: [key1, { ...key2, id: 'k1' }] })).toThrow(/own id/);
    expect(() => jwtCookies({ keys: [{ id: 'k', key: 'a'.repeat(40) as never }] })).toThrow(/Buffer/);
  });

  it('refuses unsafe or inconsistent options', () => {
    expect(() => jwtCookies({ keys: [key1], secure: false, sameSite: 'none' })).toThrow(/sameSite/);
    expect(() => jwtCookies({ keys: [key1], refreshTtlSeconds: 60 })).toThrow(/refreshTtlSeconds/);
    expect(() => jwtCookies({ keys: [key1], familyLifetimeSeconds: 3600 })).toThrow(/familyLifetimeSeconds/);
    expect(() => jwtCookies({ keys: [key1], refreshGraceSeconds: 3600 })).toThrow(/refreshGraceSeconds/);
    expect(() => jwtCookies({ keys: [key1], refreshPath: 'auth' })).toThrow(/refreshPath/);
    expect(() => jwtCookies({ keys: [key1], cookieNames: { access: '__Host-at' } })).toThrow(/cookieNames/);
    expect(() => jwtCookies({ keys: [key1], secure: 'yes' as never })).toThrow(/secure/);
  });

  it('does not change the options it was given', () => {
    const options = Object.freeze({
      keys: Object.freeze([key1]),
      secure: true,
      cookieNames: Object.freeze({ access: 'a' }),
    });
    const auth = jwtCookies(options);
    expect(auth.cookieNames).toEqual({ access: '__Host-a', refresh: '__Secure-rt' });
    return auth.close();
  });
});
