import type { Logger } from '@shieldwall/core';

export interface MemoryLogger extends Logger {
  readonly lines: Array<{ level: string; message: string } & Record<string, unknown>>;
}

/** One JSON object per line on stdout: what log shippers expect. */
export function jsonLogger(
  write: (line: string) => void = (line) => process.stdout.write(line + '\n'),
): Logger {
  const log =
    (level: string) =>
    (message: string, fields: Record<string, unknown> = {}): void =>
      write(JSON.stringify({ time: new Date().toISOString(), level, message, ...fields }));
  return { info: log('info'), warn: log('warn'), error: log('error') };
}

/** Keeps every line in memory, for tests that assert what was (and was not) logged. */
export function memoryLogger(): MemoryLogger {
  const lines: MemoryLogger['lines'] = [];
  const log =
    (level: string) =>
    (message: string, fields: Record<string, unknown> = {}): void => {
      lines.push({ level, message, ...fields });
    };
  return { lines, info: log('info'), warn: log('warn'), error: log('error') };
}
