import { ShieldwallConfigError } from './errors.js';

// Small validators every factory uses, so that bad configuration fails at start-up with the package's name, the
// bad value and the fix, in one consistent style.

function show(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'function') return 'a function';
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

export function configError(
  packageName: string,
  option: string,
  value: unknown,
  fix: string,
): ShieldwallConfigError {
  return new ShieldwallConfigError(packageName, `option \`${option}\` is ${show(value)}; ${fix}`);
}

export function positiveInteger(
  packageName: string,
  option: string,
  value: unknown,
  fallback: number,
): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value <= 0) {
    throw configError(packageName, option, value, 'pass a positive whole number.');
  }
  return value;
}

export function fraction(packageName: string, option: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || value > 1) {
    throw configError(packageName, option, value, 'pass a number from 0 to 1.');
  }
  return value;
}

export function oneOf<T extends string>(
  packageName: string,
  option: string,
  value: unknown,
  allowed: readonly T[],
  fallback: T,
): T {
  if (value === undefined) return fallback;
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) {
    throw configError(packageName, option, value, `pass one of ${allowed.map((a) => `"${a}"`).join(', ')}.`);
  }
  return value as T;
}

/** Catches `app.use(factory)` where `app.use(factory())` was meant: Express would call it with (req, res, next). */
export function rejectMiddlewareArguments(packageName: string, factoryName: string, options: unknown): void {
  if (typeof options === 'object' && options !== null && 'socket' in options && 'method' in options) {
    throw new ShieldwallConfigError(
      packageName,
      `\`${factoryName}\` was used as middleware; call it first: app.use(${factoryName}()).`,
    );
  }
}
