import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { Refuse } from './refusals.js';

/**
 * Wraps an async handler once so a rejection reaches `next(err)` under Express 4 too (Express 5 does this itself).
 * Packages build their middleware with it; the returned function keeps the wrapped function's name. With `refuse`
 * (from `refusals()`), a rejection that is a refusal is answered there instead.
 */
export function wrapAsync<Req extends Request = Request, Res extends Response = Response>(
  handler: (req: Req, res: Res, next: NextFunction) => Promise<void>,
  refuse?: Refuse,
): RequestHandler {
  const wrapped = refuse
    ? function (req: Request, res: Response, next: NextFunction): void {
        handler(req as Req, res as Res, next).catch((error: unknown) => refuse(error, req, res, next));
      }
    : function (req: Request, res: Response, next: NextFunction): void {
        handler(req as Req, res as Res, next).catch(next);
      };
  Object.defineProperty(wrapped, 'name', { value: handler.name || 'asyncMiddleware' });
  return wrapped;
}
