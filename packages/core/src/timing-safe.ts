import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

// Both sides are MACed under a per-process random key first, so the comparison takes the same time whatever the
// lengths are, and timingSafeEqual always sees two 32-byte buffers.
const comparisonKey = randomBytes(32);

function digest(value: string | Uint8Array): Buffer {
  return createHmac('sha256', comparisonKey).update(value).digest();
}

/** Compares two secrets in time that does not depend on where (or whether) they differ, or on their lengths. */
export function constantTimeEqual(a: string | Uint8Array, b: string | Uint8Array): boolean {
  return timingSafeEqual(digest(a), digest(b));
}
