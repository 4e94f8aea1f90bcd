import { formatVersion } from './format.js';

const dataLabel = Buffer.from(`${formatVersion}\0data\0`, 'latin1');
const wrapLabel = Buffer.from(`${formatVersion}\0dek\0`, 'latin1');

/**
 * AAD of the data ciphertext: `"swe1" 0x00 "data" 0x00 || canonicalContext`. It binds the format version and the
 * caller's context. It deliberately leaves out the KEK id, so that re-wrapping under a new KEK leaves the data
 * ciphertext untouched; the KEK id is bound by the wrap's own AAD instead.
 */
export function dataAad(canonical: Buffer): Buffer {
  return Buffer.concat([dataLabel, canonical]);
}

/** AAD of the data-key wrap: `"swe1" 0x00 "dek" 0x00 || kekId` (ASCII). Binds the version and the KEK id. */
export function wrapAad(kekId: string): Buffer {
  return Buffer.concat([wrapLabel, Buffer.from(kekId, 'latin1')]);
}
