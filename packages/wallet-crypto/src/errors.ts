import { ShieldwallError } from '@shieldwall/core';

export const packageName = '@shieldwall/wallet-crypto';

/** The stable codes this package throws. */
export type WalletCryptoErrorCode =
  'decryption_failed' | 'unknown_key' | 'unsupported_version' | 'invalid_context' | 'response_blocked';

/**
 * A failure with a stable code. Status 500: a sealed value that does not open is a fault on the server's side
 * (its own data or configuration), never something a client should be told more about.
 */
export class WalletCryptoError extends ShieldwallError {
  override readonly name = 'WalletCryptoError';
  declare readonly code: WalletCryptoErrorCode;

  constructor(code: WalletCryptoErrorCode, message: string, options: { cause?: unknown } = {}) {
    super(500, code, message, options);
  }
}

/**
 * One error for every tampered, truncated, mis-encoded or wrong-context ciphertext and every wrong key: callers
 * (and attackers) learn only that it did not open, never which part was wrong.
 */
export function decryptionFailed(): WalletCryptoError {
  return new WalletCryptoError('decryption_failed', 'The sealed value could not be decrypted.');
}

export function unknownKey(): WalletCryptoError {
  return new WalletCryptoError(
    'unknown_key',
    'The sealed value names a key-encryption key that is not in the key ring.',
  );
}

export function unsupportedVersion(): WalletCryptoError {
  return new WalletCryptoError(
    'unsupported_version',
    'The sealed value is not in a supported format version.',
  );
}

export function invalidContext(reason: string): WalletCryptoError {
  return new WalletCryptoError('invalid_context', `The encryption context is invalid: ${reason}.`);
}

export function isWalletCryptoError(value: unknown): value is WalletCryptoError {
  return value instanceof WalletCryptoError;
}
