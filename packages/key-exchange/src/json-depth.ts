/**
 * True when the JSON text nests arrays and objects at most `max` deep. Scanned on the bytes before JSON.parse: a
 * deeply nested body parses, but then overflows the stack of whatever walks it recursively (JSON.stringify in the
 * route, a validator), which would answer 500 and log a stack for what is only a bad request. Brackets inside
 * strings do not count; the text is not otherwise validated here (JSON.parse does that).
 */
export function jsonDepthWithin(bytes: Uint8Array, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < bytes.length; i++) {
    const byte = bytes[i]!;
    if (inString) {
      if (byte === 0x5c)
        i += 1; // backslash: skip the escaped character
      else if (byte === 0x22) inString = false;
    } else if (byte === 0x22) inString = true;
    else if (byte === 0x5b || byte === 0x7b) {
      depth += 1;
      if (depth > max) return false;
    } else if (byte === 0x5d || byte === 0x7d) depth -= 1;
  }
  return true;
}
