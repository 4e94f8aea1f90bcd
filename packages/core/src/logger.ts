/**
 * The logger every package takes through its options. Pino, winston and console-like loggers fit with a line
 * of glue. Fields never carry secrets: packages log ids and codes, never tokens, keys, passwords or codes.
 */
export interface Logger {
  /** Optional: expected refusals (a failed CAPTCHA, a denied sign-in) are told here, never above it. */
  debug?(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

export const silentLogger: Logger = Object.freeze({
  info() {},
  warn() {},
  error() {},
});

/** Writes to the console: errorHandler()'s default, so an unexpected 500 is never silent. */
/* eslint-disable no-console -- the one place a package may write to the console: the user asked for no logger */
export const consoleLogger: Logger = Object.freeze({
  info: (message: string, fields?: Record<string, unknown>) => console.info(message, fields ?? ''),
  warn: (message: string, fields?: Record<string, unknown>) => console.warn(message, fields ?? ''),
  error: (message: string, fields?: Record<string, unknown>) => console.error(message, fields ?? ''),
});
/* eslint-enable no-console */
