/**
 * The logger every package takes through its options. Pino, winston and console-like loggers fit with a line
 * of glue. Fields never carry secrets: packages log ids and codes, never tokens, keys, passwords or codes.
 */
export interface Logger {
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

export const silentLogger: Logger = Object.freeze({
  info() {},
  warn() {},
  error() {},
});
