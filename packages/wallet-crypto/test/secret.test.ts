import { format, inspect } from 'node:util';
import { randomBytes } from 'node:crypto';
import { envelopeSealer, Secret, zeroize } from '../src/index.js';

describe('Secret', () => {
  const bytes = () => Buffer.from('00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff', 'hex');

  it('prints a redaction in every common way', () => {
    const secret = new Secret(bytes());
    const hex = bytes().toString('hex');
    const shown = [
      String(secret),
      // eslint-disable-next-line @typescript-eslint/restrict-template-expressions -- what a careless log line does
      `${secret}`,
      secret.toString(),
      JSON.stringify({ secret }),
      inspect(secret),
      inspect({ nested: { secret } }, { depth: 10 }),
      format('%s %o %O %j', secret, secret, secret, secret),
    ];
    for (const text of shown) {
      expect(text).toContain('redacted');
      expect(text).not.toContain(hex);
      expect(text).not.toContain('0, 17, 34');
    }
  });

  it('gives the bytes only inside use(), and zeroes them on dispose', () => {
    const raw = bytes();
    const secret = new Secret(raw);
    expect(secret.use((b) => Buffer.from(b).toString('hex'))).toBe(bytes().toString('hex'));
    secret.dispose();
    expect(raw.every((b) => b === 0)).toBe(true);
    expect(secret.disposed).toBe(true);
    expect(() => secret.use(() => 1)).toThrow('disposed');
    secret.dispose();
  });

  it('comes from openSecret', async () => {
    const sealer = envelopeSealer({ keks: [{ id: 'k', key: randomBytes(32) }] });
    const sealed = await sealer.seal(bytes(), { purpose: 'test' });
    const secret = await sealer.openSecret(sealed, { purpose: 'test' });
    expect(inspect(secret)).toBe('Secret [redacted]');
    expect(secret.use((b) => Buffer.from(b))).toEqual(bytes());
  });

  it('zeroize fills buffers with zeroes and ignores undefined', () => {
    const a = bytes();
    const b = new Uint8Array([1, 2, 3]);
    zeroize(a, undefined, b);
    expect([...a, ...b].every((x) => x === 0)).toBe(true);
  });
});
