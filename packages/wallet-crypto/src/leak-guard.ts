import type { RequestHandler, Response } from 'express';
import {
  checkOptionNames,
  configError,
  positiveInteger,
  sendError,
  silentLogger,
  type Logger,
  type OptionNames,
} from '@shieldwall/core';
import { packageName } from './errors.js';
import { defaultKeyLikeField, findPrivateKey, type LeakScanOptions } from './leak-scan.js';

export interface LeakGuardOptions {
  /** Where blocked responses are reported (the field and kind, never the value). Defaults to a silent logger. */
  logger?: Logger;
  /**
   * Field names (lower-cased, without `-`, `_` and spaces) whose raw 32-byte values count as keys. Defaults to
   * `/priv|secret|seed|mnemonic|signingkey|^(?:key|rawkey|d|dek|kek)$/`.
   */
  keyLikeField?: RegExp;
  /** Bodies with more values than this are refused rather than sent unscanned. Defaults to 10000. */
  maxNodes?: number;
  /** Bodies nested deeper than this are refused rather than sent unscanned. Defaults to 64. */
  maxDepth?: number;
}

const optionNames: OptionNames<LeakGuardOptions> = {
  logger: true,
  keyLikeField: true,
  maxNodes: true,
  maxDepth: true,
};

const blockedMessage = 'The response was withheld because it carried secret key material.';

/**
 * Refuses to send a JSON response that carries a private-key-shaped value (see `findPrivateKey`): the client
 * gets 500 `response_blocked` and the logger an error with the route, the field and the kind of value. Mount it
 * after anything that encrypts responses (so it sees them in plaintext) and before the handler.
 */
export function leakGuard(options: Readonly<LeakGuardOptions> = {}): RequestHandler {
  checkOptionNames(packageName, 'leakGuard()', options, optionNames);
  const logger = options.logger ?? silentLogger;
  if (options.keyLikeField !== undefined && !(options.keyLikeField instanceof RegExp)) {
    throw configError(packageName, 'keyLikeField', options.keyLikeField, 'pass a RegExp.');
  }
  const scan: LeakScanOptions = {
    keyLikeField: options.keyLikeField ?? defaultKeyLikeField,
    maxNodes: positiveInteger(packageName, 'maxNodes', options.maxNodes, 10_000),
    maxDepth: positiveInteger(packageName, 'maxDepth', options.maxDepth, 64),
  };

  return function leakGuardMiddleware(req, res, next) {
    const json = res.json.bind(res) as (body: unknown) => Response;
    res.json = function guardedJson(body: unknown): Response {
      const finding = findPrivateKey(body, scan);
      if (!finding) return json(body);
      logger.error('response blocked: it carried a private-key-shaped value', {
        code: 'response_blocked',
        method: req.method,
        path: req.originalUrl.split('?')[0],
        field: finding.field.slice(0, 200),
        kind: finding.kind,
      });
      if (!res.headersSent) sendError(res, 500, 'response_blocked', blockedMessage);
      return res;
    };
    next();
  };
}
