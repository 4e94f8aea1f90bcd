import { randomBytes } from 'node:crypto';
import { envelopeSealer, parseEnvelope, type EnvelopeSealer } from '../src/index.js';

const keyA = randomBytes(32);
const keyB = randomBytes(32);
const context = { userId: 'u_1', walletId: 'w_1', purpose: 'wallet-signing-key' };
const plaintext = Buffer.from('a0'.repeat(32), 'hex');

function sealer(...ids: Array<'a' | 'b'>): EnvelopeSealer {
  return envelopeSealer({ keks: ids.map((id) => ({ id, key: id === 'a' ? keyA : keyB })) });
}

async function expectCode(promise: Promise<unknown>, code: string): Promise<void> {
  await expect(promise).rejects.toMatchObject({ code, status: 500 });
}

describe('seal and open', () => {
  it('round-trips bytes, including empty and large values', async () => {
    const s = sealer('a');
    for (const value of [plaintext, Buffer.alloc(0), randomBytes(64 * 1024)]) {
      const sealed = await s.seal(value, context);
      expect(Buffer.from(await s.open(sealed, context))).toEqual(value);
    }
  });

  it('writes swe1.<kekId>.<wrapped>.<iv>.<ct>.<tag> with the documented lengths', async () => {
    const sealed = await sealer('a').seal(plaintext, context);
    expect(sealed).toMatch(/^swe1\.a(\.[A-Za-z0-9_-]+){4}$/);
    const parts = parseEnvelope(sealed);
    expect(parts).toMatchObject({ kekId: 'a' });
    expect(parts.wrappedDek).toHaveLength(60);
    expect(parts.iv).toHaveLength(12);
    expect(parts.ciphertext).toHaveLength(32);
    expect(parts.tag).toHaveLength(16);
    expect(sealed).not.toContain(plaintext.toString('base64url'));
  });

  it('does not depend on the order of the context keys', async () => {
    const s = sealer('a');
    const sealed = await s.seal(plaintext, context);
    const reordered = { purpose: context.purpose, walletId: context.walletId, userId: context.userId };
    expect(Buffer.from(await s.open(sealed, reordered))).toEqual(plaintext);
  });

  it('uses a fresh IV and data key for every seal of the same value', async () => {
    const s = sealer('a');
    const ivs = new Set<string>();
    const wrapped = new Set<string>();
    const ciphertexts = new Set<string>();
    for (let i = 0; i < 2000; i += 1) {
      const parts = parseEnvelope(await s.seal(plaintext, context));
      ivs.add(parts.iv.toString('hex'));
      wrapped.add(parts.wrappedDek.toString('hex'));
      ciphertexts.add(parts.ciphertext.toString('hex'));
    }
    expect(ivs.size).toBe(2000);
    expect(wrapped.size).toBe(2000);
    // Same plaintext, same context: different ciphertexts only because every data key is new.
    expect(ciphertexts.size).toBe(2000);
  });

  it('does not change the caller plaintext buffer', async () => {
    const value = Buffer.from(plaintext);
    await sealer('a').seal(value, context);
    expect(value).toEqual(plaintext);
  });
});

describe('tampering', () => {
  const flip = (text: string, at: number): string => {
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const next = alphabet[(alphabet.indexOf(text[at]!) + 1) % 64]!;
    return text.slice(0, at) + next + text.slice(at + 1);
  };

  it.each([
    ['wrapped data key', 2],
    ['iv', 3],
    ['ciphertext', 4],
    ['tag', 5],
  ])('refuses a changed %s (every character) with decryption_failed', async (_name, index) => {
    const s = sealer('a');
    const sealed = await s.seal(plaintext, context);
    const parts = sealed.split('.');
    const part = parts[index]!;
    for (let at = 0; at < part.length; at += 1) {
      const changed = [...parts];
      changed[index] = flip(part, at);
      await expectCode(s.open(changed.join('.'), context), 'decryption_failed');
    }
  });

  it('refuses truncated, extended, mis-encoded and swapped parts with the same code', async () => {
    const s = sealer('a');
    const sealed = await s.seal(plaintext, context);
    const other = await s.seal(plaintext, { ...context, walletId: 'w_2' });
    const parts = sealed.split('.');
    const otherParts = other.split('.');
    const cases = [
      sealed.slice(0, -1),
      `${sealed}A`,
      parts.slice(0, 5).join('.'),
      `${sealed}.AAAA`,
      [...parts.slice(0, 4), `${parts[4]}=`, parts[5]].join('.'),
      [...parts.slice(0, 4), `${parts[4]}+`, parts[5]].join('.'),
      // another value's wrapped key, IV, ciphertext or tag
      ...[2, 3, 4, 5].map((i) => parts.map((p, j) => (j === i ? otherParts[j] : p)).join('.')),
    ];
    for (const changed of cases) await expectCode(s.open(changed, context), 'decryption_failed');
  });

  it('refuses another format version with unsupported_version', async () => {
    const s = sealer('a');
    const sealed = await s.seal(plaintext, context);
    await expectCode(s.open(sealed.replace(/^swe1/, 'swe2'), context), 'unsupported_version');
    await expectCode(s.open('not an envelope', context), 'unsupported_version');
    await expectCode(s.open('', context), 'unsupported_version');
  });

  it('refuses a KEK id changed to another key of the ring (the wrap binds the id)', async () => {
    const s = sealer('a', 'b');
    const sealed = await s.seal(plaintext, context);
    await expectCode(s.open(sealed.replace(/^swe1\.a\./, 'swe1.b.'), context), 'decryption_failed');
  });
});

describe('context binding', () => {
  it.each([
    ['another user', { ...context, userId: 'u_2' }],
    ['another wallet', { ...context, walletId: 'w_2' }],
    ['another purpose', { ...context, purpose: 'backup' }],
    ['an extra entry', { ...context, extra: '' }],
    ['a missing entry', { userId: 'u_1', walletId: 'w_1' }],
    ['moved separators', { userId: 'u_1w', alletId: '_1', purpose: 'wallet-signing-key' }],
  ])('does not open under %s', async (_name, wrong) => {
    const s = sealer('a');
    const sealed = await s.seal(plaintext, context);
    await expectCode(s.open(sealed, wrong), 'decryption_failed');
  });

  it('refuses empty, non-string and ill-formed contexts with invalid_context', async () => {
    const s = sealer('a');
    const sealed = await s.seal(plaintext, context);
    for (const bad of [{}, { a: 1 }, { a: 'x\uD800' }, null, ['a']] as unknown[]) {
      await expectCode(s.seal(plaintext, bad as Record<string, string>), 'invalid_context');
      await expectCode(s.open(sealed, bad as Record<string, string>), 'invalid_context');
    }
  });
});

describe('key ring', () => {
  it('seals with the first KEK and opens with any', async () => {
    const old = await sealer('b').seal(plaintext, context);
    const ring = sealer('a', 'b');
    expect(ring.currentKekId).toBe('a');
    expect(ring.kekIds).toEqual(['a', 'b']);
    expect(parseEnvelope(await ring.seal(plaintext, context)).kekId).toBe('a');
    expect(Buffer.from(await ring.open(old, context))).toEqual(plaintext);
  });

  it('refuses a retired KEK with unknown_key', async () => {
    const sealed = await sealer('b').seal(plaintext, context);
    await expectCode(sealer('a').open(sealed, context), 'unknown_key');
  });

  it('refuses a wrong key under the right id with decryption_failed', async () => {
    const sealed = await sealer('a').seal(plaintext, context);
    const impostor = envelopeSealer({ keks: [{ id: 'a', key: keyB }] });
    await expectCode(impostor.open(sealed, context), 'decryption_failed');
  });

  it('rewraps to the current KEK without touching the data ciphertext', async () => {
    const old = await sealer('b').seal(plaintext, context);
    const ring = sealer('a', 'b');
    expect(ring.needsRewrap(old)).toBe(true);
    const moved = await ring.rewrap(old);
    expect(ring.needsRewrap(moved)).toBe(false);
    const [before, after] = [parseEnvelope(old), parseEnvelope(moved)];
    expect(after.kekId).toBe('a');
    expect(after.iv).toEqual(before.iv);
    expect(after.ciphertext).toEqual(before.ciphertext);
    expect(after.tag).toEqual(before.tag);
    expect(after.wrappedDek).not.toEqual(before.wrappedDek);
    // Opens once b is retired, and still only under its context.
    expect(Buffer.from(await sealer('a').open(moved, context))).toEqual(plaintext);
    await expectCode(sealer('a').open(moved, { ...context, userId: 'u_2' }), 'decryption_failed');
    expect(await ring.rewrap(moved)).toBe(moved);
  });

  it('refuses to rewrap a tampered wrapped key or an unknown KEK', async () => {
    const old = await sealer('b').seal(plaintext, context);
    const parts = old.split('.');
    parts[2] = `A${parts[2]!.slice(1)}` === parts[2] ? `B${parts[2].slice(1)}` : `A${parts[2]!.slice(1)}`;
    await expectCode(sealer('a', 'b').rewrap(parts.join('.')), 'decryption_failed');
    await expectCode(sealer('a').rewrap(old), 'unknown_key');
  });

  it('accepts KEK ids with dots and keeps them unambiguous', async () => {
    const s = envelopeSealer({ keks: [{ id: 'prod.2026-11', key: keyA }] });
    const sealed = await s.seal(plaintext, context);
    expect(sealed.startsWith('swe1.prod.2026-11.')).toBe(true);
    expect(Buffer.from(await s.open(sealed, context))).toEqual(plaintext);
  });

  it.each([
    ['no options', undefined, 'keks', 'pass at least one KEK: [{ id, key: 32 bytes }] or a KekProvider.'],
    ['no keks', {}, 'keks', 'pass at least one KEK'],
    ['an empty ring', { keks: [] }, 'keks', 'pass at least one KEK'],
    [
      'a 16-byte key',
      { keks: [{ id: 'a', key: randomBytes(16) }] },
      'keks["a"].key',
      'pass exactly 32 random bytes',
    ],
    [
      'a key as a string',
      { keks: [{ id: 'a', key: 'base64string' }] },
      'keks["a"].key',
      'pass exactly 32 random bytes',
    ],
    ['an id with a space', { keks: [{ id: 'has space', key: keyA }] }, 'keks[].id', 'use 1 to 64 letters'],
    [
      'a provider with an id with a space',
      { keks: [{ id: 'has space', wrapKey: () => undefined, unwrapKey: () => undefined }] },
      'keks[].id',
      'use 1 to 64 letters',
    ],
    ['null in the ring', { keks: [null] }, 'keks[]', 'pass { id, key: 32 bytes } or a KekProvider.'],
    [
      'a string in the ring',
      { keks: ['a:base64'] },
      'keks[]',
      'pass { id, key: 32 bytes } or a KekProvider.',
    ],
    [
      'two KEKs with one id',
      {
        keks: [
          { id: 'a', key: keyA },
          { id: 'a', key: keyB },
        ],
      },
      'keks[].id',
      'give every KEK its own id.',
    ],
  ])('fails at start-up on %s, naming the option and the fix', (_name, options, option, fix) => {
    expect(() => envelopeSealer(options as never)).toThrow(`@shieldwall/wallet-crypto: option \`${option}\``);
    expect(() => envelopeSealer(options as never)).toThrow(fix);
  });

  it('answers names from other libraries with its own', () => {
    for (const name of ['kek', 'keys']) {
      expect(() => envelopeSealer({ [name]: [] } as never)).toThrow(
        `@shieldwall/wallet-crypto: envelopeSealer() has no option \`${name}\`; did you mean \`keks\`?`,
      );
    }
  });

  it('refuses a plaintext that is not bytes, saying so', async () => {
    await expect(sealer('a').seal('a0a0' as never, context)).rejects.toThrow(
      new TypeError('seal takes the plaintext as a Uint8Array.'),
    );
  });

  it('does not keep a reference to the caller key buffer', async () => {
    const key = Buffer.from(keyA);
    const s = envelopeSealer({ keks: [{ id: 'a', key }] });
    const sealed = await s.seal(plaintext, context);
    key.fill(0);
    expect(Buffer.from(await s.open(sealed, context))).toEqual(plaintext);
  });
});
