import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

/**
 * Seals secrets at rest (here: RSA private keys). `context` is bound to the ciphertext (as AAD), so a sealed value
 * opens only for the purpose and key id it was sealed for. `@shieldwall/wallet-crypto`'s envelope implements it.
 */
export interface SecretSealer {
  seal(plaintext: Uint8Array, context: Readonly<Record<string, string>>): Promise<string>;
  open(sealed: string, context: Readonly<Record<string, string>>): Promise<Uint8Array>;
}

function aad(context: Readonly<Record<string, string>>): Buffer {
  const keys = Object.keys(context).sort();
  return Buffer.from(JSON.stringify(keys.map((k) => [k, context[k]])), 'utf8');
}

/**
 * A sealer under a random key that lives only in this process: what is sealed cannot be opened after a restart or
 * by another instance. The default when no store is passed (everything is in memory anyway); never use it with a
 * shared store. Format: `e1.<base64url(iv | ciphertext | tag)>`.
 */
export function ephemeralSealer(): SecretSealer {
  const key = randomBytes(32);
  return {
    seal(plaintext, context) {
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', key, iv);
      cipher.setAAD(aad(context));
      const body = Buffer.concat([iv, cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
      return Promise.resolve(`e1.${body.toString('base64url')}`);
    },
    open(sealed, context) {
      try {
        if (!sealed.startsWith('e1.')) throw new Error('unknown format');
        const body = Buffer.from(sealed.slice(3), 'base64url');
        const decipher = createDecipheriv('aes-256-gcm', key, body.subarray(0, 12));
        decipher.setAAD(aad(context));
        decipher.setAuthTag(body.subarray(body.length - 16));
        return Promise.resolve(
          new Uint8Array(
            Buffer.concat([decipher.update(body.subarray(12, body.length - 16)), decipher.final()]),
          ),
        );
      } catch {
        return Promise.reject(new Error('sealed secret could not be opened'));
      }
    },
  };
}
