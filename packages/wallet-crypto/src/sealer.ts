import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { checkOptionNames, configError } from '@shieldwall/core';
import { dataAad, wrapAad } from './aad.js';
import { canonicalContext, type EncryptionContext } from './context.js';
import { decryptionFailed, isWalletCryptoError, packageName, unknownKey } from './errors.js';
import {
  dekBytes,
  ivBytes,
  parseEnvelope,
  serialiseEnvelope,
  tagBytes,
  type EnvelopeParts,
} from './format.js';
import { localKek, validKekId, type KekProvider, type LocalKek } from './kek.js';
import { Secret, zeroize } from './secret.js';

/**
 * Seals small secrets (private keys) into one self-describing string bound to a context. This is the whole
 * contract other packages (for example @shieldwall/key-exchange for its RSA private keys) depend on.
 */
export interface SecretSealer {
  seal(plaintext: Uint8Array, context: Readonly<Record<string, string>>): Promise<string>;
  open(sealed: string, context: Readonly<Record<string, string>>): Promise<Uint8Array>;
}

export interface EnvelopeSealer extends SecretSealer {
  /** The KEK that seals and that `rewrap` moves values to. */
  readonly currentKekId: string;
  /** Every KEK id that opens. */
  readonly kekIds: readonly string[];
  /** Like `open`, but the plaintext comes back as a {@link Secret} that does not print. */
  openSecret(sealed: string, context: EncryptionContext): Promise<Secret>;
  /**
   * Moves a sealed value to the current KEK: unwraps its data key with the old KEK and wraps it with the current
   * one. The data ciphertext (and so the context binding) is unchanged and the plaintext is never decrypted.
   * A value already under the current KEK is returned as it is.
   */
  rewrap(sealed: string): Promise<string>;
  /** True when the value is sealed under a KEK other than the current one (the rotation query). */
  needsRewrap(sealed: string): boolean;
}

export interface EnvelopeSealerOptions {
  /**
   * The key ring. The first entry seals; every entry opens. Each is a local KEK `{ id, key }` (32 bytes, turned into
   * a KeyObject once) or a {@link KekProvider} (a KMS). Ids must be unique. Required; there is no default.
   */
  keks: ReadonlyArray<Readonly<LocalKek> | KekProvider>;
}

function isProvider(value: Readonly<LocalKek> | KekProvider): value is KekProvider {
  return typeof (value as KekProvider).wrapKey === 'function';
}

/**
 * Envelope encryption in the manner of Google Tink's KMS envelope AEAD and the AWS Encryption SDK: a fresh 256-bit
 * data key per value encrypts it with AES-256-GCM (random 96-bit IV, the context as AAD); the data key is wrapped
 * by the current KEK. Format: docs/formats/wallet-envelope.md.
 */
export function envelopeSealer(options: Readonly<EnvelopeSealerOptions>): EnvelopeSealer {
  // With one option, every near miss (`kek`, `keys`) is answered with `keks` by the nearest-name suggestion.
  checkOptionNames<EnvelopeSealerOptions>(packageName, 'envelopeSealer()', options, { keks: true });
  const keks = (options as Partial<EnvelopeSealerOptions> | undefined)?.keks;
  if (!Array.isArray(keks) || keks.length === 0) {
    throw configError(
      packageName,
      'keks',
      keks,
      'pass at least one KEK: [{ id, key: 32 bytes }] or a KekProvider.',
    );
  }
  const ring = new Map<string, KekProvider>();
  for (const entry of keks as ReadonlyArray<Readonly<LocalKek> | KekProvider>) {
    if (typeof entry !== 'object' || entry === null) {
      throw configError(packageName, 'keks[]', entry, 'pass { id, key: 32 bytes } or a KekProvider.');
    }
    const provider = isProvider(entry) ? entry : localKek(entry);
    validKekId(provider.id, 'keks[].id');
    if (ring.has(provider.id))
      throw configError(packageName, 'keks[].id', provider.id, 'give every KEK its own id.');
    ring.set(provider.id, provider);
  }
  const current = ring.values().next().value as KekProvider;
  const currentWrapAad = wrapAad(current.id);
  const kekIds = Object.freeze([...ring.keys()]);

  async function unwrap(parts: EnvelopeParts): Promise<Uint8Array> {
    const kek = ring.get(parts.kekId);
    if (!kek) throw unknownKey();
    let dek: Uint8Array;
    try {
      dek = await kek.unwrapKey(parts.wrappedDek, wrapAad(parts.kekId));
    } catch (error) {
      if (isWalletCryptoError(error)) throw decryptionFailed();
      throw error;
    }
    if (!(dek instanceof Uint8Array) || dek.length !== dekBytes) {
      if (dek instanceof Uint8Array) zeroize(dek);
      throw decryptionFailed();
    }
    return dek;
  }

  async function open(sealed: string, context: EncryptionContext): Promise<Uint8Array> {
    const parts = parseEnvelope(sealed);
    const aad = dataAad(canonicalContext(context));
    const dek = await unwrap(parts);
    let first: Buffer | undefined;
    try {
      // Stryker disable next-line ObjectLiteral: parseEnvelope takes only 16-byte tags; stated here as well, so a shorter tag can never be accepted
      const decipher = createDecipheriv('aes-256-gcm', dek, parts.iv, { authTagLength: tagBytes });
      decipher.setAAD(aad);
      decipher.setAuthTag(parts.tag);
      first = decipher.update(parts.ciphertext);
      let last: Buffer;
      try {
        last = decipher.final();
      } catch {
        throw decryptionFailed();
      }
      const plaintext = Buffer.concat([first, last]);
      zeroize(last);
      return plaintext;
    } finally {
      zeroize(dek, first);
    }
  }

  return {
    currentKekId: current.id,
    kekIds,

    async seal(plaintext, context) {
      if (!(plaintext instanceof Uint8Array))
        throw new TypeError('seal takes the plaintext as a Uint8Array.');
      const aad = dataAad(canonicalContext(context));
      const dek = randomBytes(dekBytes);
      try {
        const iv = randomBytes(ivBytes);
        // Stryker disable next-line ObjectLiteral: 16 bytes is GCM's default tag length; stated, not relied on
        const cipher = createCipheriv('aes-256-gcm', dek, iv, { authTagLength: tagBytes });
        cipher.setAAD(aad);
        const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
        const tag = cipher.getAuthTag();
        const wrappedDek = Buffer.from(await current.wrapKey(dek, currentWrapAad));
        return serialiseEnvelope({ kekId: current.id, wrappedDek, iv, ciphertext, tag });
      } finally {
        zeroize(dek);
      }
    },

    open,

    async openSecret(sealed, context) {
      return new Secret(await open(sealed, context));
    },

    async rewrap(sealed) {
      const parts = parseEnvelope(sealed);
      if (parts.kekId === current.id) return sealed;
      const dek = await unwrap(parts);
      try {
        const wrappedDek = Buffer.from(await current.wrapKey(dek, currentWrapAad));
        return serialiseEnvelope({ ...parts, kekId: current.id, wrappedDek });
      } finally {
        zeroize(dek);
      }
    },

    needsRewrap(sealed) {
      return parseEnvelope(sealed).kekId !== current.id;
    },
  };
}
