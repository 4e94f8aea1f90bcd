import { ShieldwallConfigError } from './errors.js';
import { rejectMiddlewareArguments } from './options.js';

/**
 * Every option name a factory takes, as an object so that TypeScript holds it to the options interface: adding
 * an option without listing it here, or listing one that does not exist, fails the typecheck.
 */
export type OptionNames<T> = { readonly [K in keyof Required<T>]: true };

export interface OptionNamesCheck {
  /** Names users bring from elsewhere (helmet, express-rate-limit), mapped to ours. */
  readonly hints?: Readonly<Record<string, string>>;
  /** Said after a suggestion that came from `hints`, e.g. where the mapping is documented. */
  readonly hintNote?: string;
}

function distance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      row[j] = Math.min(previous[j]! + 1, row[j - 1]! + 1, previous[j - 1]! + cost);
    }
    previous = row;
  }
  return previous[b.length]!;
}

/** The closest valid name, when it is close enough to be a typo rather than a different idea. */
export function nearestName(name: string, valid: readonly string[]): string | undefined {
  const wanted = name.toLowerCase();
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of valid) {
    const lower = candidate.toLowerCase();
    const d = lower.includes(wanted) || wanted.includes(lower) ? 1 : distance(wanted, lower);
    if (d < bestDistance) [best, bestDistance] = [candidate, d];
  }
  return bestDistance <= Math.max(2, Math.floor(name.length / 3)) ? best : undefined;
}

/**
 * Refuses, at start-up, options that are not an object and option names the factory does not know, naming the
 * nearest valid one: a misspelt or foreign option silently ignored leaves a protection at its default, unnoticed.
 * `where` names the call in messages, such as `securityHeaders()` or `securityHeaders({ hsts })`. Values of
 * unknown options are never shown: they may be secrets.
 */
export function checkOptionNames<T>(
  packageName: string,
  where: string,
  options: unknown,
  names: OptionNames<T>,
  check: OptionNamesCheck = {},
): void {
  if (options === undefined) return;
  const factory = where.replace(/\(.*$/, '');
  rejectMiddlewareArguments(packageName, factory, options);
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    const got = options === null ? 'null' : Array.isArray(options) ? 'an array' : typeof options;
    throw new ShieldwallConfigError(packageName, `${where} takes an options object; got ${got}.`);
  }
  const valid = Object.keys(names);
  for (const key of Object.keys(options)) {
    if (Object.hasOwn(names, key)) continue;
    const hinted = check.hints && Object.hasOwn(check.hints, key) ? check.hints[key] : undefined;
    const suggestion = hinted ?? nearestName(key, valid);
    const advice = suggestion
      ? `did you mean \`${suggestion}\`?${hinted && check.hintNote ? ` ${check.hintNote}` : ''}`
      : `the options are ${valid.map((n) => `\`${n}\``).join(', ')}.`;
    throw new ShieldwallConfigError(packageName, `${where} has no option \`${key.slice(0, 64)}\`; ${advice}`);
  }
}
