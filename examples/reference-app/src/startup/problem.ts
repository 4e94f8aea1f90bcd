/**
 * A reason the app cannot start that the operator fixes by changing one setting: the server prints its sentence
 * alone (no stack trace) and exits 1. `variable` names the setting, so tests and log searches can find it.
 */
export class StartupProblem extends Error {
  override readonly name = 'StartupProblem';
  constructor(
    readonly variable: string,
    sentence: string,
    options?: { cause?: unknown },
  ) {
    super(sentence, options);
  }
}

/** The short reason under an error: its errno or SQLSTATE code when it has one (ECONNREFUSED), else its message. */
export function reasonOf(error: unknown): string {
  let current: unknown = error;
  // Wrapped errors (the store's 503, AggregateError from a dual-stack connect) keep the useful part underneath.
  for (let depth = 0; depth < 4 && current; depth += 1) {
    const { code, errors } = current as { code?: unknown; errors?: unknown };
    if (typeof code === 'string' && /^[A-Z0-9_]+$/.test(code) && !code.startsWith('ERR_')) return code;
    if (Array.isArray(errors) && errors.length > 0) current = errors[0];
    else current = (current as { cause?: unknown }).cause;
  }
  return error instanceof Error ? error.message : String(error);
}

/** A URL fit to print: its password replaced, so a start-up error never leaks a credential into logs. */
export function redactUrl(raw: string): string {
  try {
    const parsed = new URL(raw);
    if (parsed.password) parsed.password = '***';
    return parsed.toString().replace(/\/$/, '');
  } catch {
    return '(unparseable URL)';
  }
}
