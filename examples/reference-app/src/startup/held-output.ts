/**
 * Holds the log lines written while the app starts, so the first thing on screen is where to open it (or the one
 * sentence saying why it could not start), then lets them through in order.
 */
export interface HeldOutput {
  write(line: string): void;
  /** Writes what was held, then passes every later line straight through. */
  release(): void;
  /** Drops what was held: a failed start prints its reason alone. */
  discard(): string[];
}

export function heldOutput(out: (line: string) => void): HeldOutput {
  let held: string[] | undefined = [];
  return {
    write(line) {
      if (held) held.push(line);
      else out(line);
    },
    release() {
      const lines = held ?? [];
      held = undefined;
      for (const line of lines) out(line);
    },
    discard() {
      const lines = held ?? [];
      held = undefined;
      return lines;
    },
  };
}
