import { isIP } from 'node:net';
import type { IncomingMessage } from 'node:http';
import type { Request, RequestHandler } from 'express';
import {
  checkOptionNames,
  configError,
  normaliseIp,
  oneOf,
  setClientInfo,
  silentLogger,
  type ClientInfo,
  type Logger,
  type OptionNames,
} from '@shieldwall/core';
import { cloudflareRanges } from './cloudflare-ranges.js';
import type { IpRanges } from './ip-ranges.js';
import { packageName } from './package-name.js';

export type ClientIpMode = 'socket' | 'express' | 'cloudflare';

export interface ClientIpOptions {
  /**
   * Where the client address comes from:
   * - `'socket'`: the TCP peer, always; proxy headers are ignored.
   * - `'express'`: Express's `req.ip`, which follows the app's `trust proxy` setting (with Express's default,
   *   `false`, this is the socket peer). A `req.ip` that is not a valid address falls back to the socket peer.
   * - `'cloudflare'`: `CF-Connecting-IP` and `CF-IPCountry`, believed only when the socket peer lies in
   *   `cloudflareRanges`; otherwise the socket peer and no country.
   *
   * Defaults to `'express'`.
   */
  mode?: ClientIpMode;
  /**
   * In `'cloudflare'` mode, the peers whose `CF-*` headers are believed. Replace its contents at run time with
   * `ranges.replace(...)`. Add your own load balancer's range here when it sits between Cloudflare and the app
   * (and only forwards Cloudflare's traffic). Defaults to `cloudflareRanges()`, Cloudflare's published ranges.
   */
  cloudflareRanges?: IpRanges;
  /** Told once when `mode: 'express'` meets `trust proxy: true` (any client can then pick its IP). Defaults to silent. */
  logger?: Logger;
}

const optionNames: OptionNames<ClientIpOptions> = { mode: true, cloudflareRanges: true, logger: true };

const countryPattern = /^(?:[A-Z]{2}|T1)$/;

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return typeof value === 'string' ? value.trim() : undefined;
}

/** A single, valid IP address from a header, normalised; anything else (lists, ports, junk) is ignored. */
export function validIp(value: string | undefined): string | undefined {
  if (value === undefined || value.length > 64) return undefined;
  const ip = normaliseIp(value);
  return isIP(ip) === 0 ? undefined : ip;
}

/** An ISO 3166-1 alpha-2 code, `XX` (unknown) or `T1` (Tor), upper case; anything else is dropped. */
export function validCountry(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const country = value.toUpperCase();
  return countryPattern.test(country) ? country : undefined;
}

function socketIp(req: IncomingMessage): string {
  return validIp(req.socket?.remoteAddress) ?? '';
}

/**
 * Resolves the client's IP (and, behind Cloudflare, its country) once per request and stores it with core's
 * `setClientInfo`, so rate limits, logs and every other package read the same answer through `getClientInfo`.
 */
export function clientIp(options: Readonly<ClientIpOptions> = {}): RequestHandler {
  checkOptionNames(packageName, 'clientIp()', options, optionNames, {
    hints: { trustProxy: 'mode', cloudflare: 'mode', ranges: 'cloudflareRanges' },
  });
  const mode = oneOf<ClientIpMode>(
    packageName,
    'mode',
    options.mode,
    ['socket', 'express', 'cloudflare'],
    'express',
  );
  const ranges = options.cloudflareRanges ?? (mode === 'cloudflare' ? cloudflareRanges() : undefined);
  if (ranges !== undefined && typeof ranges.contains !== 'function') {
    throw configError(
      packageName,
      'cloudflareRanges',
      ranges,
      'pass the result of cloudflareRanges() or ipRanges([...]).',
    );
  }
  const logger = options.logger ?? silentLogger;
  let warned = false;

  function resolve(req: Request): ClientInfo {
    if (mode === 'socket') return { ip: socketIp(req) };
    if (mode === 'express') {
      if (!warned && req.app?.get('trust proxy') === true) {
        warned = true;
        logger.warn(
          'trust proxy is true: the left-most X-Forwarded-For entry is believed, and clients can forge it',
          {
            package: packageName,
          },
        );
      }
      return { ip: validIp(req.ip) ?? socketIp(req) };
    }
    const peer = socketIp(req);
    if (!ranges!.contains(peer)) return { ip: peer };
    const ip = validIp(header(req, 'cf-connecting-ip')) ?? peer;
    const country = validCountry(header(req, 'cf-ipcountry'));
    return country === undefined ? { ip } : { ip, country };
  }

  return function clientIpMiddleware(req, _res, next) {
    setClientInfo(req, resolve(req));
    next();
  };
}
