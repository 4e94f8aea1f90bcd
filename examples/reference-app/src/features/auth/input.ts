import { ShieldwallError } from '@shieldwall/core';

// Strict shapes for the auth bodies: a JSON object with exactly the named string fields, each within a size bound.
// Refusals are one fixed message per route: nothing the client sent is echoed.

const email = /^[^\s@<>()[\]\\,;:"]{1,64}@[^\s@<>()[\]\\,;:"]+\.[^\s@<>()[\]\\,;:".]{2,}$/;
/** Reset and verification tokens: 32 bytes in base64url. */
const token = /^[A-Za-z0-9_-]{43}$/;

export interface FieldRule {
  /** Longest accepted value, in characters. */
  max: number;
  pattern?: RegExp;
}

export const rules = {
  email: { max: 254, pattern: email },
  // The 72-byte limit is the password policy's (password_too_long); this bound only stops absurd bodies.
  password: { max: 1024 },
  token: { max: 43, pattern: token },
  // Referral codes (users.referral_code): ten characters of Crockford's base32, as made by newReferralCode.
  referralCode: { max: 10, pattern: /^[0-9A-Z]{10}$/ },
} satisfies Record<string, FieldRule>;

/**
 * Reads exactly `fields`, and any of `optional` that are present, from a JSON body. A body of the wrong shape is
 * 400 `invalid_request`; a field that is present but whose value breaks its rule is refused with `invalid[field]`
 * when given (a malformed reset link is `reset_token_invalid`, as an unknown one is), else `invalid_request`.
 */
export function readBody<K extends keyof typeof rules, O extends keyof typeof rules = never>(
  body: unknown,
  fields: readonly K[],
  message: string,
  invalid: Partial<Record<K | O, () => ShieldwallError>> = {},
  optional: readonly O[] = [],
): Record<K, string> & Partial<Record<O, string>> {
  const shape = (): ShieldwallError => new ShieldwallError(400, 'invalid_request', message);
  let field: K | O | undefined;
  const refuse = (): ShieldwallError => (field && invalid[field]?.()) || shape();
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw refuse();
  const keys = Object.keys(body);
  const present = optional.filter((name) => keys.includes(name));
  const expected: readonly string[] = [...fields, ...present];
  if (keys.length !== expected.length || !keys.every((key) => expected.includes(key))) throw shape();
  const out = {} as Record<K, string> & Partial<Record<O, string>>;
  for (field of [...fields, ...present] as Array<K | O>) {
    const value: unknown = (body as Record<string, unknown>)[field];
    const rule: FieldRule = rules[field];
    if (typeof value !== 'string' || value.length === 0 || value.length > rule.max) throw refuse();
    if (rule.pattern && !rule.pattern.test(value)) throw refuse();
    (out as Record<string, string>)[field] = value;
  }
  return out;
}
