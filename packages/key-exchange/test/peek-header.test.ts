import { decodeProtectedHeader } from 'jose';
import { peekHeader } from '../src/envelope.js';

// The channel reads the protected header itself (once, on every request); it must refuse what jose refused.
const b64 = (bytes: Uint8Array | string): string => Buffer.from(bytes).toString('base64url');
// Five parts with an empty encrypted key, as `dir` sends: only the header can decide.
const jwe = (header: string): string => `${header}..iv.ct.tag`;

function joseVerdict(token: string): unknown {
  try {
    return decodeProtectedHeader(token);
  } catch {
    return undefined;
  }
}

describe('key-exchange: peekHeader', () => {
  const good = { alg: 'dir', enc: 'A256GCM', kid: 'c1' };
  const fiveParts: Array<[string, string]> = [
    ['a good header', jwe(b64(JSON.stringify(good)))],
    ['an array', jwe(b64('[1,2]'))],
    ['null', jwe(b64('null'))],
    ['a string', jwe(b64('"dir"'))],
    ['not JSON', jwe(b64('{alg:dir}'))],
    ['invalid UTF-8', jwe(b64(Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xff, 0x22, 0x7d])))],
    ['padding', jwe(`${b64(JSON.stringify(good))}=`)],
    ['a standard-base64 character', jwe(`${b64(JSON.stringify(good)).slice(0, -1)}+`)],
    ['an empty header', jwe('')],
  ];

  it.each(fiveParts)('agrees with jose on %s', (_name, token) => {
    expect(peekHeader(token)).toEqual(joseVerdict(token));
  });

  it('reads a good header', () => {
    expect(peekHeader(fiveParts[0]![1])).toEqual(good);
  });

  it('is stricter than jose: a header spelt with non-zero unused bits, which jose reads, is refused', () => {
    // Pad the JSON until its base64url leaves unused bits in the last character, then set the lowest of them.
    let json = JSON.stringify(good);
    while (b64(json).length % 4 === 0) json += ' ';
    const canonical = b64(json);
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const bumped = `${canonical.slice(0, -1)}${alphabet[alphabet.indexOf(canonical.at(-1)!) + 1]!}`;
    expect(Buffer.from(bumped, 'base64url')).toEqual(Buffer.from(canonical, 'base64url'));
    expect(joseVerdict(jwe(bumped))).toEqual(good);
    expect(peekHeader(jwe(canonical))).toEqual(good);
    expect(peekHeader(jwe(bumped))).toBeUndefined();
  });

  it('refuses anything but five parts, JWS included', () => {
    const header = b64(JSON.stringify(good));
    for (const token of [header, `${header}.x`, `${header}.x.y`, `${header}.a.b.c`, `${header}.a.b.c.d.e`]) {
      expect(peekHeader(token)).toBeUndefined();
    }
  });
});
