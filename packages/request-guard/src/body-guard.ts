import express, { type RequestHandler } from 'express';
import type { IncomingMessage } from 'node:http';
import {
  checkOptionNames,
  configError,
  hasBody,
  positiveInteger,
  refusals,
  type OnRefused,
  type OptionNames,
} from '@shieldwall/core';
import { compileRoutes, mediaTypeSet, type BodyRoute, type CompiledRoute } from './body-routes.js';
import {
  payloadTooLarge,
  refuseAfterBody,
  translateParserError,
  unsupportedMediaType,
} from './body-errors.js';
import { packageName } from './package-name.js';

export interface BodyGuardOptions {
  /** The largest body accepted, in bytes. Defaults to `1048576` (1 MB). */
  limit?: number;
  /** Media types accepted where no route says otherwise. Defaults to `["application/json"]`. */
  types?: readonly string[];
  /** Per-route media types and limits; the first match wins. Defaults to none. */
  routes?: readonly BodyRoute[];
  /** Methods whose bodies are checked. Defaults to `["POST", "PUT", "PATCH"]`; other methods pass untouched. */
  methods?: readonly string[];
  /**
   * Accept `Content-Encoding: gzip|deflate|br` JSON bodies (the limit then applies to the inflated size).
   * Defaults to `false`: compressed request bodies get 415, since few clients send them and they multiply the
   * work a small request can cause.
   */
  inflate?: boolean;
  /**
   * Takes over the refusals (400, 413, 415): `(error, req, res, next)` with `error.status` and `error.code`.
   * Defaults to sending the JSON envelope, so no error handler is needed; call `next(error)` to hand them on.
   */
  onRefused?: OnRefused;
}

const optionNames: OptionNames<BodyGuardOptions> = {
  limit: true,
  types: true,
  routes: true,
  methods: true,
  inflate: true,
  onRefused: true,
};

const jsonType = 'application/json';
const tokenPattern = /^[A-Za-z]+$/;

/** The `type/subtype` of a Content-Type header, lower case, without parameters; undefined when absent. */
export function mediaTypeOf(req: IncomingMessage): string | undefined {
  const header = req.headers['content-type'];
  if (typeof header !== 'string') return undefined;
  const semicolon = header.indexOf(';');
  const type = (semicolon === -1 ? header : header.slice(0, semicolon)).trim().toLowerCase();
  return type.length > 0 ? type : undefined;
}

/**
 * The global body guard, mounted before any route: for POST, PUT and PATCH it refuses a Content-Type the route
 * does not accept (415 `unsupported_media_type`) and a body over the limit (413 `payload_too_large`), parses
 * `application/json` strictly into `req.body` (400 `invalid_json`), and leaves every other accepted type unread
 * for the route's own parser. Requests without a body (logout, refresh) pass.
 */
export function bodyGuard(options: Readonly<BodyGuardOptions> = {}): RequestHandler {
  checkOptionNames(packageName, 'bodyGuard()', options, optionNames, {
    hints: { maxBytes: 'limit', maxSize: 'limit', type: 'types', strict: 'types' },
  });
  const limit = positiveInteger(packageName, 'limit', options.limit, 1_048_576);
  const types = mediaTypeSet('types', options.types ?? [jsonType]);
  const routes: readonly CompiledRoute[] = compileRoutes(options.routes, limit);
  const methodList = options.methods ?? ['POST', 'PUT', 'PATCH'];
  if (!Array.isArray(methodList) || !methodList.every((m) => typeof m === 'string' && tokenPattern.test(m))) {
    throw configError(
      packageName,
      'methods',
      methodList,
      'pass method names such as ["POST", "PUT", "PATCH"].',
    );
  }
  const methods = new Set((methodList as readonly string[]).map((m) => m.toUpperCase()));
  const refuse = refusals(packageName, options.onRefused);
  const inflate = options.inflate ?? false;
  if (typeof inflate !== 'boolean') throw configError(packageName, 'inflate', inflate, 'pass true or false.');

  // One strict parser per distinct limit, built once. `type` always matches: the guard has checked it already.
  const parsers = new Map<number, RequestHandler>();
  for (const size of new Set([limit, ...routes.map((route) => route.limit)])) {
    parsers.set(size, express.json({ limit: size, strict: true, inflate, type: () => true }));
  }

  return function bodyGuardMiddleware(req, res, next) {
    if (!methods.has(req.method) || !hasBody(req)) {
      next();
      return;
    }
    const route = routes.find((candidate) => candidate.matches(req.path));
    const accepted = route?.types ?? types;
    const max = route?.limit ?? limit;
    const type = mediaTypeOf(req);
    if (type === undefined || !accepted.has(type)) {
      refuseAfterBody(req, res, (err) => refuse(err, req, res, next), unsupportedMediaType(), max);
      return;
    }
    if (type === jsonType) {
      parsers.get(max)!(req, res, function afterJson(err?: unknown) {
        if (err) refuse(translateParserError(err), req, res, next);
        else next();
      });
      return;
    }
    // Other accepted types stay unread for the route's parser, which applies its own cap to chunked bodies;
    // a declared length over the limit is refused here, before anything is read.
    const length = req.headers['content-length'];
    if (length !== undefined && Number(length) > max) {
      refuseAfterBody(req, res, (err) => refuse(err, req, res, next), payloadTooLarge(), max);
      return;
    }
    next();
  };
}
