// RFC 7515 §2 / RFC 4648 §5 base64url without padding, decoded strictly: Buffer.from(s, 'base64url') (and jose)
// skip characters outside the alphabet, accept padding and ignore non-zero trailing bits, so one value has many
// spellings. A JWE whose parts are not in canonical form is refused before anything is decoded.

const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const values = new Int8Array(128).fill(-1);
for (let i = 0; i < alphabet.length; i++) values[alphabet.charCodeAt(i)] = i;

/** True when `part` is canonical unpadded base64url: only the alphabet, a possible length, zero unused bits. */
export function isStrictBase64url(part: string): boolean {
  const rest = part.length % 4;
  if (rest === 1) return false;
  for (let i = 0; i < part.length; i++) {
    const code = part.charCodeAt(i);
    if (code >= 128 || values[code]! < 0) return false;
  }
  if (rest === 0) return true;
  const last = values[part.charCodeAt(part.length - 1)]!;
  // Two characters carry 12 bits for one byte (4 unused), three carry 18 bits for two bytes (2 unused).
  return (last & (rest === 2 ? 0x0f : 0x03)) === 0;
}
