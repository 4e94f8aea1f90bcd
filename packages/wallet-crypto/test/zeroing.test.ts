import { randomBytes } from 'node:crypto';
import { envelopeSealer, localKek, parseEnvelope, type KekProvider } from '../src/index.js';

/** A local KEK that keeps every data key it is handed or hands out, to check the sealer zeroes them after use. */
function watchedKek(id: string): KekProvider & { seen: Uint8Array[] } {
  const inner = localKek({ id, key: randomBytes(32) });
  const seen: Uint8Array[] = [];
  return {
    id,
    seen,
    async wrapKey(dataKey, aad) {
      seen.push(dataKey);
      return inner.wrapKey(Buffer.from(dataKey), aad);
    },
    async unwrapKey(wrapped, aad) {
      const dataKey = await inner.unwrapKey(wrapped, aad);
      seen.push(dataKey);
      return dataKey;
    },
  };
}

const context = { purpose: 'test' };
const zeroed = (bytes: Uint8Array) => bytes.length === 32 && bytes.every((b) => b === 0);

describe('zeroing data keys', () => {
  it('zeroes the data key after seal, open, failed open and rewrap', async () => {
    const old = watchedKek('old');
    const current = watchedKek('new');
    const sealed = await envelopeSealer({ keks: [old] }).seal(Buffer.from('secret'), context);
    const ring = envelopeSealer({ keks: [current, old] });
    await ring.open(sealed, context);
    await expect(ring.open(sealed, { purpose: 'other' })).rejects.toMatchObject({
      code: 'decryption_failed',
    });
    await ring.rewrap(sealed);
    await ring.seal(Buffer.from('secret'), context);
    expect(old.seen).toHaveLength(4); // seal, open, failed open, rewrap (unwrap)
    expect(current.seen).toHaveLength(2); // rewrap (wrap), seal
    for (const key of [...old.seen, ...current.seen]) expect(zeroed(key)).toBe(true);
  });

  it('uses a different data key for every value', async () => {
    const kek = { id: 'k', key: randomBytes(32) };
    const sealer = envelopeSealer({ keks: [kek] });
    const unwrap = localKek(kek);
    const aad = Buffer.from('swe1\0dek\0k', 'latin1');
    const keys = new Set<string>();
    for (let i = 0; i < 500; i += 1) {
      const { wrappedDek } = parseEnvelope(await sealer.seal(Buffer.from('same'), context));
      keys.add(Buffer.from(await unwrap.unwrapKey(wrappedDek, aad)).toString('hex'));
    }
    expect(keys.size).toBe(500);
  });
});
