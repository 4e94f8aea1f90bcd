import type { NextFunction, Request, Response } from 'express';
import { isShieldwallError, type ShieldwallError } from './errors.js';
import { sendShieldwallError } from './envelope.js';
import { configError } from './options.js';

/**
 * Takes over a package's refusals (4xx): answer `error.status` / `error.code` your own way, or call
 * `next(error)` to hand it to your error handler. Defaults to sending core's JSON envelope.
 */
export type OnRefused = (error: ShieldwallError, req: Request, res: Response, next: NextFunction) => void;

/** What a middleware calls instead of `next(err)`: refusals are answered, anything else goes on to `next`. */
export type Refuse = (error: unknown, req: Request, res: Response, next: NextFunction) => void;

/**
 * A refusing middleware answers by itself, so a package works without `errorHandler()` mounted: a
 * `ShieldwallError` under 500 becomes the JSON envelope (status, code, headers such as Retry-After), or goes to
 * the user's `onRefused`. Failures (5xx, anything else) go to `next(err)`, where `errorHandler()` logs them.
 * Nothing is logged here: a refusal is the middleware working, not an incident.
 */
export function refusals(packageName: string, onRefused: unknown, option = 'onRefused'): Refuse {
  if (onRefused !== undefined && typeof onRefused !== 'function') {
    throw configError(
      packageName,
      option,
      onRefused,
      'pass a function (error, req, res, next) => void, or leave it out to send the JSON envelope.',
    );
  }
  const custom = onRefused as OnRefused | undefined;
  return function refuse(error, req, res, next): void {
    if (!isShieldwallError(error) || error.status >= 500 || res.headersSent) {
      next(error);
      return;
    }
    if (!custom) {
      sendShieldwallError(res, error);
      return;
    }
    try {
      custom(error, req, res, next);
    } catch (failure) {
      next(failure);
    }
  };
}

/** The default: every refusal as core's envelope. */
export const answerRefusals: Refuse = refusals('@shieldwall/core', undefined);
