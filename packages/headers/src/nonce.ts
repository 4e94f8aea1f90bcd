import { randomBytes } from 'node:crypto';

const nonceBytes = 16; // 128 bits, as CSP3 recommends at least
const poolSize = nonceBytes * 256;
let pool = Buffer.alloc(0);
let offset = poolSize;

/**
 * A fresh base64 nonce of 128 random bits. Random bytes are drawn from the CSPRNG in batches (as uuid does), so a
 * request costs a slice, not a system call; every nonce is still used once.
 */
export function createNonce(): string {
  if (offset >= pool.length) {
    pool = randomBytes(poolSize);
    offset = 0;
  }
  const nonce = pool.toString('base64', offset, offset + nonceBytes);
  offset += nonceBytes;
  return nonce;
}
