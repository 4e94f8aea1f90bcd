const segmenter = new Intl.Segmenter(undefined, { granularity: 'grapheme' });
const graphemes = (text: string): string[] => Array.from(segmenter.segment(text), (part) => part.segment);
const stars = '***';

/** Local part: first and last grapheme around `***` (3+), first only (2), nothing (1): never the whole of it. */
function maskLocal(local: string): string {
  const chars = graphemes(local);
  if (chars.length >= 3) return `${chars[0]}${stars}${chars.at(-1)}`;
  if (chars.length === 2) return `${chars[0]}${stars}`;
  return stars;
}

/** Domain: the first grapheme of the first label, then `***`, then the top-level label (sub-domains vanish). */
function maskDomain(domain: string): string {
  const labels = domain.split('.');
  const top = labels.length > 1 ? labels.at(-1) : undefined;
  const first = graphemes(labels[0] ?? '');
  const head = first.length >= 2 ? `${first[0]}${stars}` : stars;
  return top ? `${head}.${top}` : head;
}

/**
 * Masks an e-mail address for display (000: "user email is partially masked in referral displays"):
 * `john@example.com` → `j***n@e***.com`. Grapheme-safe (emoji, combining marks, IDN labels are never split), the
 * number of stars never tells a length, sub-domains are hidden, and anything that is not `local@domain` is `***`.
 */
export function maskEmail(email: string): string {
  const at = email.lastIndexOf('@');
  if (at <= 0 || at === email.length - 1) return stars;
  return `${maskLocal(email.slice(0, at))}@${maskDomain(email.slice(at + 1))}`;
}
