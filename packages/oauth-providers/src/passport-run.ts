import type { RequestHandler } from 'express';
import type { Passport } from 'passport';
import type { OAuthProfile } from './types.js';

export type PassportInstance = InstanceType<typeof Passport>;

/** passport types `authenticate()` as any; it is a plain (req, res, next) handler. */
export function authenticate(
  passport: PassportInstance,
  name: string,
  options: object,
  callback: (err: unknown, user?: OAuthProfile | false, info?: unknown) => void,
): RequestHandler {
  return passport.authenticate(name, options, callback) as RequestHandler;
}

/** Error names and provider error codes only: never messages or bodies, which could quote tokens. */
export function describeError(err: unknown): Record<string, unknown> | undefined {
  if (!(err instanceof Error)) return undefined;
  const cause = err.cause instanceof Error ? err.cause : (err as { oauthError?: unknown }).oauthError;
  return {
    name: err.name,
    ...(typeof (err as unknown as { code?: unknown }).code === 'string'
      ? { code: (err as unknown as { code: string }).code }
      : {}),
    ...(cause instanceof Error ? { cause: cause.name } : {}),
    ...(typeof (cause as { statusCode?: unknown })?.statusCode === 'number'
      ? { status: (cause as { statusCode: number }).statusCode }
      : {}),
  };
}
