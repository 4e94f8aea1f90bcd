/** Why a value looks like a private key. */
export type LeakKind = 'pem_private_key' | 'jwk_private_key' | 'raw_key' | 'mnemonic' | 'unscannable';

export interface LeakFinding {
  kind: LeakKind;
  /** Where in the body, as field names (`wallets.0.privateKey`); never the value. */
  field: string;
}

export interface LeakScanOptions {
  keyLikeField: RegExp;
  maxNodes: number;
  maxDepth: number;
}

const pemPrivateKey = /-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----/;
const hex32 = /^(?:0x)?[0-9a-fA-F]{64}$/;
const base64Of32 = /^[A-Za-z0-9+/]{43}=$|^[A-Za-z0-9_-]{43}$/;
const wordSequence = /^\s*\p{Ll}+(?:\s+\p{Ll}+){11,}\s*$/u;

/** Field names that hold keys: privateKey, private_key, privKey, secret, seed, mnemonic, signingKey, key, d, ... */
export const defaultKeyLikeField = /priv|secret|seed|mnemonic|signingkey|^(?:key|rawkey|d|dek|kek)$/;

function normaliseName(name: string): string {
  return name.replace(/[-_\s]/g, '').toLowerCase();
}

function isByteArray(value: unknown): boolean {
  return (
    Array.isArray(value) &&
    value.length === 32 &&
    value.every((item) => Number.isInteger(item) && (item as number) >= 0 && (item as number) <= 255)
  );
}

function keyShaped(value: unknown): LeakKind | undefined {
  if (typeof value === 'string') {
    if (hex32.test(value) || base64Of32.test(value)) return 'raw_key';
    if (wordSequence.test(value)) return 'mnemonic';
    return undefined;
  }
  if (ArrayBuffer.isView(value)) return value.byteLength === 32 ? 'raw_key' : undefined;
  if (isByteArray(value)) return 'raw_key';
  if (typeof value === 'object' && value !== null && isByteArray((value as { data?: unknown }).data)) {
    return 'raw_key';
  }
  return undefined;
}

/**
 * Walks a JSON body as `JSON.stringify` would (calling `toJSON`) and returns the first private-key-shaped value:
 * a PEM private key block anywhere; a JWK with a private part (`kty` and `d`); or, in a field whose name looks
 * key-like, 32 raw bytes as hex, base64 or a byte array, or a mnemonic phrase of 12 or more words. A body too big
 * or too deep to scan within the limits counts as a finding (fail closed).
 */
export function findPrivateKey(body: unknown, options: Readonly<LeakScanOptions>): LeakFinding | undefined {
  const stack: Array<[value: unknown, path: string[], name: string]> = [[body, [], '']];
  let nodes = 0;
  while (stack.length > 0) {
    const [raw, path, name] = stack.pop()!;
    nodes += 1;
    const field = path.join('.');
    if (nodes > options.maxNodes || path.length > options.maxDepth) return { kind: 'unscannable', field };
    let value = raw;
    if (
      typeof value === 'object' &&
      value !== null &&
      typeof (value as { toJSON?: unknown }).toJSON === 'function'
    ) {
      value = (value as { toJSON(key: string): unknown }).toJSON(name);
    }
    if (typeof value === 'string' && pemPrivateKey.test(value)) return { kind: 'pem_private_key', field };
    if (name !== '' && options.keyLikeField.test(normaliseName(name))) {
      const kind = keyShaped(value);
      if (kind) return { kind, field };
    }
    if (typeof value !== 'object' || value === null || ArrayBuffer.isView(value)) continue;
    if (!Array.isArray(value)) {
      const record = value as Record<string, unknown>;
      if (typeof record.kty === 'string' && typeof record.d === 'string')
        return { kind: 'jwk_private_key', field };
    }
    for (const [key, child] of Object.entries(value)) stack.push([child, [...path, key], key]);
  }
  return undefined;
}
