const bullets = '•••••••';
const e164 = /^\+[1-9]\d{6,14}$/;

/**
 * Masks a phone number for display, as mask-email.ts does addresses: `+447700900123` → `+44•••••••23`. The plus and
 * two leading digits (about the country) and the last two stay; the bullets are always seven, so they never tell
 * the length. Anything that is not E.164 is `•••`.
 */
export function maskPhone(number: string): string {
  if (!e164.test(number)) return '•••';
  return `${number.slice(0, 3)}${bullets}${number.slice(-2)}`;
}
