import type { Request, RequestHandler, Response } from 'express';
import {
  checkOptionNames,
  configError,
  refusals,
  ShieldwallError,
  wrapAsync,
  type OnRefused,
  type OptionNames,
} from '@shieldwall/core';
import { packageName } from './constants.js';

export interface ParticipationOptions {
  /**
   * The figure the app supplies for the signed-in user (for example 30-day transaction volume, in the smallest
   * currency unit). Undefined (no user, no data) counts as 0. Required.
   */
  figure: (req: Request, res: Response) => number | undefined | Promise<number | undefined>;
  /** The figure must be at least this. Required. */
  threshold: number;
  /** The figure's name in the refusal's details, for clients. Defaults to `'recentVolume'`. */
  metric?: string;
  /**
   * Takes over the refusals (403 `participation_threshold_not_met`): `(error, req, res, next)` with `error.status`, `error.code` and
   * `error.details`. Defaults to sending the JSON envelope, so no error handler is needed; call `next(error)` to
   * hand them to yours.
   */
  onRefused?: OnRefused;
}

const optionNames: OptionNames<ParticipationOptions> = {
  figure: true,
  threshold: true,
  metric: true,
  onRefused: true,
};

/**
 * 002's participation threshold for signed-in users: 403 `participation_threshold_not_met` (details: `metric`,
 * `threshold`) unless the app's figure for this user reaches the threshold. Mount after authentication.
 */
export function requireParticipation(options: Readonly<ParticipationOptions>): RequestHandler {
  checkOptionNames(packageName, 'requireParticipation()', options, optionNames, {
    hints: { min: 'threshold', minimum: 'threshold', handler: 'onRefused' },
  });
  if (typeof options?.figure !== 'function') {
    throw configError(packageName, 'figure', options?.figure, 'pass a function (req, res) => number.');
  }
  const { figure } = options;
  const threshold = options.threshold;
  if (typeof threshold !== 'number' || !Number.isFinite(threshold) || threshold < 0) {
    throw configError(packageName, 'threshold', threshold, 'pass a number of zero or more.');
  }
  const metric = options.metric ?? 'recentVolume';
  const refuse = refusals(packageName, options.onRefused);
  return wrapAsync(async function requireParticipationMiddleware(req, res, next) {
    const value = await figure(req, res);
    const reached = typeof value === 'number' && Number.isFinite(value) && value >= threshold;
    if (!reached) {
      throw new ShieldwallError(
        403,
        'participation_threshold_not_met',
        'Your recent activity does not yet qualify for this.',
        {
          details: { metric, threshold },
        },
      );
    }
    next();
  }, refuse);
}
