import { createCipheriv, createDecipheriv, createSecretKey, randomBytes, type KeyObject } from 'node:crypto';
import { configError } from '@shieldwall/core';
import { decryptionFailed, packageName } from './errors.js';
import { ivBytes, kekIdPattern, tagBytes } from './format.js';

/**
 * Holds a key-encryption key and wraps data keys with it. The local one keeps the KEK in process memory; a KMS
 * provider (AWS KMS, Google Cloud KMS, Vault Transit: docs/guides/kek-rotation.md) keeps it in the KMS and calls
 * its encrypt/decrypt API. `aad` must be authenticated by the wrap (as AWS KMS encryption context, Cloud KMS
 * additional authenticated data or Vault `associated_data`). `unwrapKey` must throw `decryptionFailed()` (or any
 * error) when the wrapped key or the AAD was altered; what it returns is used as the data key.
 */
export interface KekProvider {
  /** Written into every sealed value; letters, digits, `.`, `_`, `-`, at most 64 characters. */
  readonly id: string;
  wrapKey(dataKey: Uint8Array, aad: Uint8Array): Promise<Uint8Array>;
  unwrapKey(wrappedKey: Uint8Array, aad: Uint8Array): Promise<Uint8Array>;
}

/** A local KEK: 32 random bytes, for example from `WALLET_KEKS` (`id:base64`). */
export interface LocalKek {
  id: string;
  key: Uint8Array;
}

export function validKekId(id: unknown, option: string): string {
  if (typeof id !== 'string' || !kekIdPattern.test(id)) {
    throw configError(packageName, option, id, 'use 1 to 64 letters, digits, ".", "_" or "-".');
  }
  return id;
}

/**
 * A KEK held locally as a KeyObject (built once). Wraps with AES-256-GCM: `iv(12) || ciphertext(32) || tag(16)`.
 * GCM rather than AES-KW (RFC 3394) because it authenticates the AAD, which binds the KEK id and format version
 * to the wrapped key; its random-IV limit (2^32 wraps per KEK) is far above any wallet count, and rotation resets it.
 */
export function localKek(kek: Readonly<LocalKek>, option = 'keks'): KekProvider {
  const id = validKekId(kek.id, `${option}[].id`);
  if (!(kek.key instanceof Uint8Array) || kek.key.length !== 32) {
    throw configError(
      packageName,
      `${option}[${JSON.stringify(id)}].key`,
      kek.key instanceof Uint8Array ? `${kek.key.length} bytes` : typeof kek.key,
      'pass exactly 32 random bytes (openssl rand -base64 32).',
    );
  }
  const key: KeyObject = createSecretKey(Buffer.from(kek.key));
  return {
    id,
    async wrapKey(dataKey, aad) {
      const iv = randomBytes(ivBytes);
      const cipher = createCipheriv('aes-256-gcm', key, iv, { authTagLength: tagBytes });
      cipher.setAAD(aad);
      const body = Buffer.concat([cipher.update(dataKey), cipher.final()]);
      return Buffer.concat([iv, body, cipher.getAuthTag()]);
    },
    async unwrapKey(wrapped, aad) {
      if (wrapped.length <= ivBytes + tagBytes) throw decryptionFailed();
      const bytes = Buffer.from(wrapped.buffer, wrapped.byteOffset, wrapped.length);
      const decipher = createDecipheriv('aes-256-gcm', key, bytes.subarray(0, ivBytes), {
        authTagLength: tagBytes,
      });
      decipher.setAAD(aad);
      decipher.setAuthTag(bytes.subarray(bytes.length - tagBytes));
      const first = decipher.update(bytes.subarray(ivBytes, bytes.length - tagBytes));
      try {
        const last = decipher.final();
        const out = Buffer.concat([first, last]);
        last.fill(0);
        return out;
      } catch {
        throw decryptionFailed();
      } finally {
        first.fill(0);
      }
    },
  };
}
