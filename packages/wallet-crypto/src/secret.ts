import { inspect } from 'node:util';

const redacted = '[redacted]';

/**
 * Secret bytes that do not print: `toString`, `toJSON`, template literals and `util.inspect` (console.log, most
 * loggers) all show `[redacted]`. Read them inside `use` and `dispose` when done: disposing zeroes the bytes.
 */
export class Secret {
  #bytes: Uint8Array | undefined;

  /** Takes ownership of `bytes` (no copy): disposing the Secret zeroes them. */
  constructor(bytes: Uint8Array) {
    if (!(bytes instanceof Uint8Array)) throw new TypeError('Secret takes a Uint8Array.');
    this.#bytes = bytes;
  }

  get disposed(): boolean {
    return this.#bytes === undefined;
  }

  /** Runs `fn` with the bytes. Do not keep a reference to them past `fn`. */
  use<T>(fn: (bytes: Uint8Array) => T): T {
    if (!this.#bytes) throw new TypeError('The secret was disposed.');
    return fn(this.#bytes);
  }

  /** Zeroes the bytes; later `use` calls throw. Idempotent. */
  dispose(): void {
    this.#bytes?.fill(0);
    this.#bytes = undefined;
  }

  toString(): string {
    return redacted;
  }

  toJSON(): string {
    return redacted;
  }

  [Symbol.toPrimitive](): string {
    return redacted;
  }

  [inspect.custom](): string {
    return `Secret ${redacted}`;
  }
}

/** Overwrites a buffer with zeroes (best effort: copies made by the runtime or OpenSSL are outside our reach). */
export function zeroize(...buffers: Array<Uint8Array | undefined>): void {
  for (const buffer of buffers) buffer?.fill(0);
}
