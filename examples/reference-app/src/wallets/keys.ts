import { secp256k1 } from '@noble/curves/secp256k1.js';
import { keccak_256 } from '@noble/hashes/sha3.js';

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');

/** EIP-55: the address's hex letters upper-cased where the keccak-256 of the lower-case hex has a nibble >= 8. */
export function checksumAddress(lowerHex: string): string {
  const hash = hex(keccak_256(Buffer.from(lowerHex, 'ascii')));
  let out = '0x';
  for (let i = 0; i < lowerHex.length; i += 1) {
    const char = lowerHex[i]!;
    out += parseInt(hash[i]!, 16) >= 8 ? char.toUpperCase() : char;
  }
  return out;
}

/** The Ethereum address of a secp256k1 public key: the last 20 bytes of keccak-256 of the uncompressed point. */
export function addressOf(secretKey: Uint8Array): string {
  const publicKey = secp256k1.getPublicKey(secretKey, false);
  return checksumAddress(hex(keccak_256(publicKey.subarray(1)).subarray(12)));
}

/** A fresh secp256k1 secret key (32 bytes from the CSPRNG, reduced into the curve order by @noble/curves). */
export function newSecretKey(): Uint8Array {
  return secp256k1.utils.randomSecretKey();
}

/** EIP-191 version 0x45 (`personal_sign`): keccak256("\x19Ethereum Signed Message:\n" + len(message) + message). */
export function personalMessageDigest(message: Uint8Array): Uint8Array {
  const prefix = Buffer.from(`\x19Ethereum Signed Message:\n${message.length}`, 'utf8');
  return keccak_256(Buffer.concat([prefix, message]));
}

/**
 * Signs an EIP-191 personal message: 65 bytes `r || s || v` with v = 27 + recovery id, low-S, deterministic
 * (RFC 6979), as `eth_sign`/`personal_sign` wallets answer. Verifiable with ethers `verifyMessage`.
 */
export function signPersonalMessage(
  message: Uint8Array,
  secretKey: Uint8Array,
): { digest: string; signature: string } {
  const digest = personalMessageDigest(message);
  const recovered = secp256k1.sign(digest, secretKey, { prehash: false, format: 'recovered', lowS: true });
  const signature = Buffer.concat([recovered.subarray(1), Buffer.of(27 + recovered[0]!)]);
  return { digest: `0x${hex(digest)}`, signature: `0x${signature.toString('hex')}` };
}

/** The address that produced an EIP-191 signature (`0x` r || s || v): what a verifier (or a test) checks. */
export function recoverPersonalSigner(message: Uint8Array, signatureHex: string): string {
  const signature = Buffer.from(signatureHex.replace(/^0x/, ''), 'hex');
  if (signature.length !== 65) throw new Error('An EIP-191 signature is 65 bytes.');
  const recovered = Buffer.concat([Buffer.of(signature[64]! - 27), signature.subarray(0, 64)]);
  const publicKey = secp256k1.recoverPublicKey(recovered, personalMessageDigest(message), { prehash: false });
  const point = secp256k1.Point.fromBytes(publicKey).toBytes(false);
  return checksumAddress(hex(keccak_256(point.subarray(1)).subarray(12)));
}
