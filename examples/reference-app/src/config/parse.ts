// Parsers for environment values. Each returns the value or records a problem; the loader reports all problems at
// once, one line each, so an operator fixes a deployment in one pass.

export type Env = Readonly<Record<string, string | undefined>>;

export class ConfigProblems extends Error {
  override readonly name = 'ConfigProblems';
  readonly problems: readonly string[];
  constructor(problems: readonly string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.problems = problems;
  }
}

export class Problems {
  readonly list: string[] = [];
  add(problem: string): void {
    this.list.push(problem);
  }
  throwIfAny(): void {
    if (this.list.length > 0) throw new ConfigProblems(this.list);
  }
}

export function list(value: string | undefined): string[] {
  return (value ?? '')
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item.length > 0);
}

export function port(env: Env, name: string, fallback: number, problems: Problems): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0 || value > 65535) {
    problems.add(`${name} must be a port number from 0 to 65535`);
    return fallback;
  }
  return value;
}

export function positiveInt(env: Env, name: string, fallback: number, problems: Problems): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isSafeInteger(value) || value <= 0) {
    problems.add(`${name} must be a positive whole number`);
    return fallback;
  }
  return value;
}

export function origin(value: string, name: string, problems: Problems): string | undefined {
  try {
    const url = new URL(value);
    if ((url.protocol !== 'https:' && url.protocol !== 'http:') || url.origin !== value.replace(/\/$/, '')) {
      problems.add(
        `${name} must be an origin such as https://example.com (scheme and host only), got a URL with a path or another scheme`,
      );
      return undefined;
    }
    return url.origin;
  } catch {
    problems.add(`${name} must be an origin such as https://example.com`);
    return undefined;
  }
}

export function url(env: Env, name: string, problems: Problems): string | undefined {
  const raw = env[name];
  if (raw === undefined || raw === '') return undefined;
  try {
    return new URL(raw).toString().replace(/\/$/, '');
  } catch {
    problems.add(`${name} must be an absolute URL`);
    return undefined;
  }
}

/** `id:base64` pairs; the first entry is the current one. */
export function keyedSecrets(
  env: Env,
  name: string,
  options: { minBytes: number; exactBytes?: number },
  problems: Problems,
): Array<{ id: string; key: Buffer }> {
  const entries = list(env[name]);
  const seen = new Set<string>();
  const keys: Array<{ id: string; key: Buffer }> = [];
  entries.forEach((entry, index) => {
    const separator = entry.indexOf(':');
    const id = separator > 0 ? entry.slice(0, separator) : '';
    const encoded = separator > 0 ? entry.slice(separator + 1) : '';
    if (!/^[A-Za-z0-9._-]{1,32}$/.test(id) || encoded === '') {
      problems.add(`${name} entry ${index + 1} must be id:base64key (id of letters, digits, . _ -)`);
      return;
    }
    const key = Buffer.from(encoded, 'base64');
    if (
      options.exactBytes !== undefined ? key.length !== options.exactBytes : key.length < options.minBytes
    ) {
      problems.add(
        `${name} entry "${id}" must decode to ${options.exactBytes ?? `at least ${options.minBytes}`} bytes (got ${key.length})`,
      );
      return;
    }
    if (seen.has(id)) {
      problems.add(`${name} has the id "${id}" twice`);
      return;
    }
    seen.add(id);
    keys.push({ id, key });
  });
  return keys;
}
