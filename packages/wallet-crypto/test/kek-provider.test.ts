import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { WalletCryptoError, decryptionFailed, envelopeSealer, type KekProvider } from '../src/index.js';

/**
 * A stand-in for a KMS: it holds the key and keeps a log of what it was asked, the way AWS KMS or Vault would. It
 * is an implementation of the public provider interface (not a mock of ours), so the sealer's real path runs.
 */
function fakeKms(id: string): KekProvider & { calls: Array<{ op: string; aad: string }> } {
  const key = randomBytes(32);
  const calls: Array<{ op: string; aad: string }> = [];
  return {
    id,
    calls,
    async wrapKey(dataKey, aad) {
      calls.push({ op: 'wrap', aad: Buffer.from(aad).toString('latin1') });
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', key, iv);
      cipher.setAAD(aad);
      return Buffer.concat([
        Buffer.from('kms:'),
        iv,
        cipher.update(dataKey),
        cipher.final(),
        cipher.getAuthTag(),
      ]);
    },
    async unwrapKey(wrapped, aad) {
      calls.push({ op: 'unwrap', aad: Buffer.from(aad).toString('latin1') });
      const bytes = Buffer.from(wrapped);
      try {
        const decipher = createDecipheriv('aes-256-gcm', key, bytes.subarray(4, 16));
        decipher.setAAD(aad);
        decipher.setAuthTag(bytes.subarray(bytes.length - 16));
        return Buffer.concat([decipher.update(bytes.subarray(16, bytes.length - 16)), decipher.final()]);
      } catch {
        throw decryptionFailed();
      }
    },
  };
}

describe('KEK providers', () => {
  const context = { purpose: 'test', userId: 'u' };

  it('seals and opens through a provider, passing the wrap AAD that binds version and KEK id', async () => {
    const kms = fakeKms('kms-1');
    const sealer = envelopeSealer({ keks: [kms] });
    const sealed = await sealer.seal(Buffer.from('private'), context);
    expect(sealed.startsWith('swe1.kms-1.')).toBe(true);
    expect(Buffer.from(await sealer.open(sealed, context)).toString()).toBe('private');
    expect(kms.calls).toEqual([
      { op: 'wrap', aad: 'swe1\0dek\0kms-1' },
      { op: 'unwrap', aad: 'swe1\0dek\0kms-1' },
    ]);
  });

  it('rotates from a local KEK to a KMS and the local key can then be retired', async () => {
    const local = { id: 'local', key: randomBytes(32) };
    const kms = fakeKms('kms-1');
    const sealed = await envelopeSealer({ keks: [local] }).seal(Buffer.from('private'), context);
    const moved = await envelopeSealer({ keks: [kms, local] }).rewrap(sealed);
    expect(Buffer.from(await envelopeSealer({ keks: [kms] }).open(moved, context)).toString()).toBe(
      'private',
    );
  });

  it('maps provider integrity errors to decryption_failed and lets outages through as they are', async () => {
    const kms = fakeKms('kms-1');
    const sealer = envelopeSealer({ keks: [kms] });
    const sealed = await sealer.seal(Buffer.from('private'), context);
    const parts = sealed.split('.');
    parts[2] = Buffer.from('kms:broken-broken-broken-broken-broken').toString('base64url');
    await expect(sealer.open(parts.join('.'), context)).rejects.toMatchObject({ code: 'decryption_failed' });

    const down: KekProvider = {
      id: 'kms-1',
      wrapKey: () => Promise.reject(new Error('KMS unreachable')),
      unwrapKey: () => Promise.reject(new Error('KMS unreachable')),
    };
    await expect(envelopeSealer({ keks: [down] }).open(sealed, context)).rejects.toThrow('KMS unreachable');

    // Any of this package's errors from a provider is an integrity failure to the caller, whatever its code.
    const strict: KekProvider = {
      ...down,
      unwrapKey: () =>
        Promise.reject(new WalletCryptoError('invalid_context', 'The wrap AAD did not match.')),
    };
    await expect(envelopeSealer({ keks: [strict] }).open(sealed, context)).rejects.toMatchObject({
      code: 'decryption_failed',
    });
  });

  it('refuses a provider that returns a data key of the wrong size or type, and wipes a wrong-size one', async () => {
    const sealed = await envelopeSealer({ keks: [fakeKms('k')] }).seal(Buffer.from('x'), context);
    const returned = new Uint8Array(16).fill(0xab);
    const short: KekProvider = {
      id: 'k',
      wrapKey: async () => new Uint8Array(1),
      unwrapKey: async () => returned,
    };
    await expect(envelopeSealer({ keks: [short] }).open(sealed, context)).rejects.toMatchObject({
      code: 'decryption_failed',
    });
    expect(returned.every((byte) => byte === 0)).toBe(true);
    const text = { ...short, unwrapKey: async () => 'a'.repeat(32) as never };
    await expect(envelopeSealer({ keks: [text] }).open(sealed, context)).rejects.toMatchObject({
      code: 'decryption_failed',
    });
  });
});
