import cors from 'cors';
import type { RequestHandler } from 'express';
import {
  checkOptionNames,
  configError,
  positiveInteger,
  sendError,
  type OptionNames,
} from '@shieldwall/core';
import { originAllowlist } from './origin-allowlist.js';
import { packageName } from './package-name.js';
import { appendVary } from './vary.js';

export interface CorsGuardOptions {
  /**
   * The origins allowed to read responses, with credentials: exact origins (`"https://app.example.com"`) and
   * anchored subdomain patterns where `*` stands for exactly one DNS label (`"https://*.example.com"` allows
   * `https://a.example.com`, not `https://example.com`, `https://a.b.example.com` or `https://example.com.evil.io`).
   * `"*"` and `"null"` are refused at start-up. Required (an empty list allows no cross-origin reads).
   */
  origins: readonly string[];
  /** Methods announced in preflight answers. Defaults to `GET, HEAD, POST, PUT, PATCH, DELETE`. */
  methods?: readonly string[];
  /**
   * Request headers announced in preflight answers. Defaults to `Content-Type, Authorization, X-CSRF-Token,
   * X-Verification-Id, X-Verification-Code`.
   */
  allowedHeaders?: readonly string[];
  /**
   * Response headers a cross-origin script may read. Defaults to `Retry-After, X-RateLimit-Limit,
   * X-RateLimit-Remaining, X-RateLimit-Reset`.
   */
  exposedHeaders?: readonly string[];
  /** How long (seconds) browsers may cache a preflight answer. Defaults to `600`. */
  maxAge?: number;
  /** Send `Access-Control-Allow-Credentials: true` (cookies travel). Defaults to `true`. */
  credentials?: boolean;
}

const optionNames: OptionNames<CorsGuardOptions> = {
  origins: true,
  methods: true,
  allowedHeaders: true,
  exposedHeaders: true,
  maxAge: true,
  credentials: true,
};

// The cors package's names, which people bring with them.
const corsHints = { origin: 'origins', allowedOrigins: 'origins' };

export const defaultCorsMethods: readonly string[] = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'];
export const defaultCorsAllowedHeaders: readonly string[] = [
  'Content-Type',
  'Authorization',
  'X-CSRF-Token',
  'X-Verification-Id',
  'X-Verification-Code',
];
export const defaultCorsExposedHeaders: readonly string[] = [
  'Retry-After',
  'X-RateLimit-Limit',
  'X-RateLimit-Remaining',
  'X-RateLimit-Reset',
];

const tokenPattern = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

function tokenList(option: string, value: unknown, fallback: readonly string[]): string[] {
  if (value === undefined) return [...fallback];
  if (!Array.isArray(value) || !value.every((item) => typeof item === 'string' && tokenPattern.test(item))) {
    throw configError(packageName, option, value, 'pass an array of header or method names.');
  }
  return [...(value as string[])];
}

/**
 * CORS from an explicit allowlist, over the `cors` package. An allowed origin is reflected with credentials; an
 * unlisted one (and `null`) gets no CORS headers at all, and its preflight a 403 `cors_origin_denied`. Every
 * response carries `Vary: Origin` so caches never serve one origin's answer to another.
 */
export function corsGuard(options: Readonly<CorsGuardOptions>): RequestHandler {
  checkOptionNames(packageName, 'corsGuard()', options, optionNames, { hints: corsHints });
  if (typeof options !== 'object' || options === null) {
    throw configError(packageName, 'options', options, 'pass { origins: [...] }.');
  }
  const allowlist = originAllowlist(options.origins, 'origins');
  const credentials = options.credentials ?? true;
  if (typeof credentials !== 'boolean') {
    throw configError(packageName, 'credentials', credentials, 'pass true or false.');
  }
  // The origin reaching `cors` has been checked already, so reflecting it is safe. The lists go in joined: `cors`
  // joins an array again on every request.
  const allowed = cors({
    origin: true,
    credentials,
    methods: tokenList('methods', options.methods, defaultCorsMethods)
      .map((m) => m.toUpperCase())
      .join(','),
    allowedHeaders: tokenList('allowedHeaders', options.allowedHeaders, defaultCorsAllowedHeaders).join(','),
    exposedHeaders: tokenList('exposedHeaders', options.exposedHeaders, defaultCorsExposedHeaders).join(','),
    maxAge: positiveInteger(packageName, 'maxAge', options.maxAge, 600),
    optionsSuccessStatus: 204,
    preflightContinue: false,
  });

  return function corsGuardMiddleware(req, res, next) {
    const origin = req.headers.origin;
    if (origin !== undefined && allowlist.allows(origin)) {
      // `cors` adds `Vary: Origin` itself (merged, as appendVary does): writing it here as well set it twice.
      allowed(req, res, next);
      return;
    }
    appendVary(res, 'Origin');
    if (origin === undefined) {
      next();
      return;
    }
    if (req.method === 'OPTIONS' && req.headers['access-control-request-method'] !== undefined) {
      sendError(res, 403, 'cors_origin_denied', 'This origin may not make cross-origin requests here.');
      return;
    }
    // A disallowed actual request goes on without CORS headers: the browser keeps the response from the page.
    // CORS is not CSRF protection; state-changing routes need their own check (CSRF token, SameSite cookies).
    next();
  };
}
