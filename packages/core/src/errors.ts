/** A refusal or failure with an HTTP status and a stable, snake_case code that clients may branch on. */
export class ShieldwallError extends Error {
  override readonly name: string = 'ShieldwallError';
  readonly status: number;
  readonly code: string;
  /** Extra fields a client needs (for example `retryAfter`); sent beside `code` and `message`. */
  readonly details: Readonly<Record<string, unknown>> | undefined;
  /** Headers to set on the error response (for example `Retry-After`). */
  readonly headers: Readonly<Record<string, string>> | undefined;

  constructor(
    status: number,
    code: string,
    message: string,
    options: {
      details?: Record<string, unknown>;
      headers?: Record<string, string>;
      cause?: unknown;
    } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.status = status;
    this.code = code;
    this.details = options.details;
    this.headers = options.headers;
  }
}

/** Thrown at start-up when a factory is given options it cannot work with. */
export class ShieldwallConfigError extends Error {
  override readonly name = 'ShieldwallConfigError';
  readonly code = 'invalid_option';
  readonly packageName: string;

  constructor(packageName: string, message: string) {
    super(`${packageName}: ${message}`);
    this.packageName = packageName;
  }
}

/** Thrown by a store that cannot be reached in time; packages decide whether to fail open or closed. */
export class StoreUnavailableError extends ShieldwallError {
  override readonly name = 'StoreUnavailableError';

  constructor(message: string, cause?: unknown) {
    super(503, 'store_unavailable', message, { cause });
  }
}

export function isShieldwallError(value: unknown): value is ShieldwallError {
  return value instanceof ShieldwallError;
}
