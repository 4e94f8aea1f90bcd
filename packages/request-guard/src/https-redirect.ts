import type { Request, RequestHandler } from 'express';
import { checkOptionNames, configError, type OptionNames } from '@shieldwall/core';
import { packageName } from './package-name.js';

export interface HttpsRedirectOptions {
  /**
   * Where plain-HTTP requests are sent: the public HTTPS origin, e.g. `"https://app.example.com"`. The request's
   * `Host` header is never used unless listed in `allowedHosts`, so a forged Host cannot turn the redirect into
   * an open redirect. Required.
   */
  origin: string;
  /**
   * Host names (with port when not 443) whose `Host` header may be kept in the redirect, for apps served on
   * several names. Any other Host is redirected to `origin`. Defaults to none.
   */
  allowedHosts?: readonly string[];
  /**
   * Paths (exact, as in `req.path`) answered over plain HTTP too, e.g. a load balancer's `"/healthz"`.
   * Defaults to none.
   */
  skipPaths?: readonly string[];
}

const optionNames: OptionNames<HttpsRedirectOptions> = { origin: true, allowedHosts: true, skipPaths: true };

function httpsOrigin(value: unknown): string {
  let url: URL | undefined;
  try {
    url = typeof value === 'string' ? new URL(value) : undefined;
  } catch {
    url = undefined;
  }
  if (!url || url.protocol !== 'https:' || url.origin !== (value as string).replace(/\/$/, '')) {
    throw configError(
      packageName,
      'origin',
      value,
      'pass the public https origin, e.g. "https://app.example.com".',
    );
  }
  return url.origin;
}

function stringList(option: string, value: unknown): string[] {
  if (value === undefined) return [];
  if (!Array.isArray(value) || !value.every((item) => typeof item === 'string' && item.length > 0)) {
    throw configError(packageName, option, value, 'pass an array of strings.');
  }
  return value as string[];
}

/**
 * Redirects plain-HTTP requests to HTTPS: 301 for GET and HEAD, 308 (method and body kept) for the rest. Whether
 * a request is secure comes from Express's `req.secure`, which believes `X-Forwarded-Proto` only from a proxy the
 * app's `trust proxy` setting trusts; from anyone else the header is ignored.
 */
export function httpsRedirect(options: Readonly<HttpsRedirectOptions>): RequestHandler {
  checkOptionNames(packageName, 'httpsRedirect()', options, optionNames, {
    hints: { host: 'origin', hosts: 'allowedHosts', exclude: 'skipPaths' },
  });
  if (typeof options !== 'object' || options === null) {
    throw configError(packageName, 'options', options, 'pass { origin: "https://..." }.');
  }
  const origin = httpsOrigin(options.origin);
  const hosts = new Set(
    stringList('allowedHosts', options.allowedHosts).map((host) => {
      const parsed = httpsOrigin(`https://${host.toLowerCase()}`);
      return parsed.slice('https://'.length);
    }),
  );
  const skip = new Set(stringList('skipPaths', options.skipPaths));

  function target(req: Request): string {
    const host = req.headers.host?.toLowerCase();
    const base = host !== undefined && hosts.has(host) ? `https://${host}` : origin;
    // Only an origin-form target (`/path?query`) is carried over; `*` and absolute-form targets go to `/`.
    const path = req.originalUrl.startsWith('/') ? req.originalUrl : '/';
    const url = new URL(base + path);
    return url.origin === base ? url.href : `${base}/`;
  }

  return function httpsRedirectMiddleware(req, res, next) {
    if (req.secure || skip.has(req.path)) {
      next();
      return;
    }
    res.statusCode = req.method === 'GET' || req.method === 'HEAD' ? 301 : 308;
    res.setHeader('Location', target(req));
    res.setHeader('Content-Length', '0');
    req.resume(); // a 308's body is not read here; the client sends it again to the HTTPS URL
    res.end();
  };
}
