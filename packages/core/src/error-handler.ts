import type { ErrorRequestHandler, RequestHandler } from 'express';
import { isShieldwallError } from './errors.js';
import { sendError, sendShieldwallError } from './envelope.js';
import { consoleLogger, type Logger } from './logger.js';
import { checkOptionNames } from './option-names.js';

export interface ErrorHandlerOptions {
  /**
   * Where unexpected (5xx) failures are reported, with their stack. Defaults to the console, so a 500 is never
   * silent; pass `silentLogger` to drop them. Refusals (4xx) are never logged.
   */
  logger?: Logger;
}

interface Refusal {
  status: number;
  code: string;
  message: string;
}

// body-parser (and so express.json / express.raw / express.text) tags its errors with `type`. Messages are ours:
// the parser's own message can quote the body, and nothing the client sent is ever echoed back.
const bodyParserErrors: Readonly<Record<string, Refusal>> = {
  'entity.parse.failed': {
    status: 400,
    code: 'invalid_json',
    message: 'The request body is not valid JSON.',
  },
  'entity.too.large': { status: 413, code: 'payload_too_large', message: 'The request body is too large.' },
  'parameters.too.many': {
    status: 413,
    code: 'payload_too_large',
    message: 'The request has too many parameters.',
  },
  'encoding.unsupported': {
    status: 415,
    code: 'unsupported_media_type',
    message: 'The request body uses an unsupported content encoding.',
  },
  'charset.unsupported': {
    status: 415,
    code: 'unsupported_media_type',
    message: 'The request body uses an unsupported charset.',
  },
  'request.aborted': {
    status: 400,
    code: 'request_aborted',
    message: 'The request was aborted by the client.',
  },
  'request.size.invalid': {
    status: 400,
    code: 'bad_request',
    message: 'The request body length is inconsistent.',
  },
};

const statusRefusals: Readonly<Record<number, Omit<Refusal, 'status'>>> = {
  400: { code: 'bad_request', message: 'The request is malformed.' },
  401: { code: 'unauthenticated', message: 'Sign in to continue.' },
  403: { code: 'forbidden', message: 'This request is not allowed.' },
  404: { code: 'not_found', message: 'No route matches this request.' },
  405: { code: 'method_not_allowed', message: 'This method is not allowed here.' },
  408: { code: 'request_timeout', message: 'The request took too long.' },
  413: { code: 'payload_too_large', message: 'The request body is too large.' },
  415: { code: 'unsupported_media_type', message: 'The request body has an unsupported Content-Type.' },
  429: { code: 'rate_limited', message: 'Too many requests.' },
};

const internalError: Refusal = {
  status: 500,
  code: 'internal_error',
  message: 'Something went wrong on our side.',
};

function statusOf(err: unknown): number | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const { status, statusCode } = err as { status?: unknown; statusCode?: unknown };
  const value = typeof status === 'number' ? status : statusCode;
  return typeof value === 'number' && Number.isInteger(value) ? value : undefined;
}

function refusalFor(err: unknown): Refusal {
  const type = typeof err === 'object' && err !== null ? (err as { type?: unknown }).type : undefined;
  if (typeof type === 'string') {
    const known = bodyParserErrors[type];
    if (known) return known;
  }
  const status = statusOf(err);
  if (status !== undefined && status >= 400 && status < 500) {
    const known = statusRefusals[status];
    return known
      ? { status, ...known }
      : { status, code: 'client_error', message: 'The request was refused.' };
  }
  return internalError;
}

/**
 * The last middleware of an app: every error becomes the JSON envelope, with no stack and no echo of input.
 * Shieldwall errors keep their status, code and details; body-parser errors get stable codes; anything else is a
 * 500 `internal_error`, logged with its stack.
 */
export function errorHandler(options: Readonly<ErrorHandlerOptions> = {}): ErrorRequestHandler {
  checkOptionNames<ErrorHandlerOptions>('@shieldwall/core', 'errorHandler()', options, { logger: true });
  const logger = options.logger ?? consoleLogger;
  return function shieldwallErrorHandler(err: unknown, req, res, next) {
    if (res.headersSent) {
      // Too late for an envelope; Express's final handler closes the connection.
      next(err);
      return;
    }
    if (isShieldwallError(err)) {
      if (err.status >= 500)
        logger.error('request failed', { code: err.code, method: req.method, cause: describe(err.cause) });
      sendShieldwallError(res, err);
      return;
    }
    const refusal = refusalFor(err);
    if (refusal.status >= 500) {
      logger.error('unexpected error', { method: req.method, path: req.path, error: describe(err) });
    }
    sendError(res, refusal.status, refusal.code, refusal.message);
  };
}

function describe(err: unknown): unknown {
  if (err instanceof Error) return { name: err.name, message: err.message, stack: err.stack };
  return typeof err === 'string' || typeof err === 'number' ? err : typeof err;
}

/** 404 `not_found` in the envelope, for requests no route answered. Mount after every route. */
export function notFoundHandler(): RequestHandler {
  return function shieldwallNotFound(_req, res) {
    sendError(res, 404, 'not_found', 'No route matches this request.');
  };
}
