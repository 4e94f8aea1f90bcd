import { createSecretKey, type KeyObject } from 'node:crypto';
import { ShieldwallConfigError, configError } from '@shieldwall/core';

const packageName = '@shieldwall/jwt-cookies';

/** An HMAC secret with its key id (`kid`). */
export interface SigningKey {
  id: string;
  /** At least 32 random bytes. */
  key: Uint8Array;
}

export interface KeyRing {
  /** The key that signs: the first one. */
  current: { id: string; key: KeyObject };
  /** Every key that verifies, by id. */
  byId: ReadonlyMap<string, KeyObject>;
}

export const minimumSecretBytes = 32;

/** Builds the KeyObjects once, at start-up, and checks ids and lengths. */
export function keyRing(keys: readonly SigningKey[] | undefined): KeyRing {
  if (!Array.isArray(keys) || keys.length === 0)
    throw new ShieldwallConfigError(
      packageName,
      'option `keys` is required: [{ id, key }] with 32+ random bytes each.',
    );
  const byId = new Map<string, KeyObject>();
  for (const entry of keys as readonly SigningKey[]) {
    const id: unknown = entry?.id;
    if (typeof id !== 'string' || !/^[A-Za-z0-9._-]{1,64}$/.test(id))
      throw configError(packageName, 'keys[].id', id, 'pass 1 to 64 letters, digits, ".", "_" or "-".');
    if (!(entry.key instanceof Uint8Array))
      throw new ShieldwallConfigError(
        packageName,
        `key "${id}" must be a Buffer or Uint8Array of random bytes.`,
      );
    if (entry.key.length < minimumSecretBytes)
      throw new ShieldwallConfigError(
        packageName,
        `key "${id}" has ${entry.key.length} bytes; HS256 secrets need at least ${minimumSecretBytes} random bytes.`,
      );
    if (byId.has(id)) throw configError(packageName, 'keys[].id', id, 'give every key its own id.');
    byId.set(id, createSecretKey(Buffer.from(entry.key)));
  }
  const first = (keys as readonly SigningKey[])[0]!;
  return { current: { id: first.id, key: byId.get(first.id)! }, byId };
}
