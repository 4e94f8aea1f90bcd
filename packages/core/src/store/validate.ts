import { ShieldwallError } from '../errors.js';

// A key or TTL that is wrong is a bug in the calling package, never client input: fail loudly at the call.
export function assertKey(key: string): void {
  if (typeof key !== 'string' || key.length === 0 || key.length > 1024) {
    throw new ShieldwallError(
      500,
      'internal_error',
      `store key must be a non-empty string of at most 1024 characters`,
    );
  }
}

export function assertTtl(ttlMs: number): void {
  if (!Number.isSafeInteger(ttlMs) || ttlMs <= 0) {
    throw new ShieldwallError(
      500,
      'internal_error',
      `store TTL must be a positive whole number of milliseconds`,
    );
  }
}
