import { decodeProtectedHeader } from 'jose';
import { peekHeader } from '../src/envelope.js';

// The channel reads the protected header itself (once, on every request); it must refuse what jose refused.
const b64 = (bytes: Uint8Array | string): string => Buffer.from(bytes).toString('base64url');
const jwe = (header: string, rest = '.iv.ct.tag'): string => `${header}.${rest.slice(1)}`;

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
    ['a good header', jwe(b64(JSON.stringify(good)), '..iv.ct.tag')],
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

  it('refuses anything but five parts, JWS included', () => {
    const header = b64(JSON.stringify(good));
    for (const token of [header, `${header}.x`, `${header}.x.y`, `${header}.a.b.c`, `${header}.a.b.c.d.e`]) {
      expect(peekHeader(token)).toBeUndefined();
    }
  });
});
