import { createHash } from 'node:crypto';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import {
  configError,
  fraction,
  getClientInfo,
  isShieldwallError,
  memoryStore,
  positiveInteger,
  prefixedStore,
  checkOptionNames,
  sendShieldwallError,
  ShieldwallError,
  systemClock,
} from '@shieldwall/core';
import { aggregator } from './aggregate.js';
import { checkContentType, parseJson, readReportBody } from './body.js';
import { aboutFilter, dataFilter, extensionFilter, injectedSourceFilter } from './filters.js';
import { normaliseBody, type NormaliseLimits } from './normalise.js';
import { optionNames, type CspReporterOptions } from './options.js';
import { checkOrigin, reportingDescriptor } from './reporting.js';
import { cleanInteger, cleanText } from './sanitise.js';
import type {
  CspAggregate,
  CspReport,
  CspReportingDescriptor,
  ReportFilter,
  ViolationCount,
} from './types.js';

const packageName = '@shieldwall/csp-reporter';
const week = 7 * 24 * 60 * 60 * 1000;

/** The endpoint middleware, with the descriptor @shieldwall/headers reads and the aggregate's readers. */
export interface CspReporter extends RequestHandler {
  /** Path, version and group of this endpoint: pass it to @shieldwall/headers as `reporting`. */
  readonly reporting: CspReportingDescriptor;
  /** The most frequent (directive, blocked origin) pairs among accepted reports, highest first. */
  topViolations(limit?: number): Promise<ViolationCount[]>;
  /** All counts: by version, directive, blocked origin, top violations, dropped versions and filtered noise. */
  aggregate(limit?: number): Promise<CspAggregate>;
}

function checkPath(value: unknown): string {
  if (value === undefined) return '/api/csp-report-endpoint';
  if (typeof value !== 'string' || !/^\/[A-Za-z0-9/_.~-]{0,200}$/.test(value)) {
    throw configError(
      packageName,
      'path',
      value,
      'pass a path such as "/api/csp-report-endpoint" (no query).',
    );
  }
  return value;
}

function checkGroup(value: unknown): string {
  if (value === undefined) return 'csp-endpoint';
  if (typeof value !== 'string' || !/^[A-Za-z0-9_-]{1,64}$/.test(value)) {
    throw configError(packageName, 'group', value, 'pass a token of letters, digits, "-" and "_".');
  }
  return value;
}

function versionFrom(url: string): number | undefined {
  // Without a '?' the whole URL is read as a query: the path admits no '=' or '&', so it holds no version.
  const values = new URLSearchParams(url.slice(url.indexOf('?') + 1)).getAll('version');
  return values.length === 1 ? cleanInteger(values[0], 1_000_000_000) : undefined;
}

/** The path of the request's URL (relative to the mount point under Express), without Express's `req.path`. */
function pathOf(req: Request): string {
  const at = req.url.indexOf('?');
  return at === -1 ? req.url : req.url.slice(0, at);
}

/**
 * The parsed body. Normally read here, with the cap; when a body parser earlier in the app already consumed the
 * stream (a global `express.json()`, or a request guard that parses JSON), its result is used instead.
 */
async function readBody(req: Request, maxBytes: number): Promise<unknown> {
  if (!req.readableEnded) return parseJson(await readReportBody(req, maxBytes));
  const parsed: unknown = (req as { body?: unknown }).body;
  if (Buffer.isBuffer(parsed) || typeof parsed === 'string') {
    const raw = Buffer.isBuffer(parsed) ? parsed : Buffer.from(parsed);
    if (raw.length > maxBytes) {
      throw new ShieldwallError(413, 'payload_too_large', 'The report is over the size limit.');
    }
    return parseJson(raw);
  }
  // Whatever else the parser made (an object, or null or a number from a lenient JSON parser) is for
  // normaliseBody to accept or refuse as a report.
  return parsed;
}

/** Identical reports from one client share an id; the hash keeps ids 43 characters whatever the fields hold. */
function dedupeId(report: Readonly<CspReport>): string {
  const identity = [
    report.clientIp,
    report.policyVersion,
    report.effectiveDirective,
    report.disposition,
    report.documentUrl,
    report.blockedUrl,
    report.sourceFile,
    report.line,
    report.column,
    report.sample,
  ];
  return createHash('sha256').update(JSON.stringify(identity)).digest('base64url');
}

/**
 * The CSP report endpoint. Mount at the app's root (`app.use(reporter)`): it answers POSTs to `path` and passes
 * every other request on. Accepted reports get 204 with no body, whatever they say.
 */
export function cspReporter(options: Readonly<CspReporterOptions> = {}): CspReporter {
  checkOptionNames(packageName, 'cspReporter()', options, optionNames, {
    hints: { endpoint: 'path', reportUri: 'path', limit: 'maxBytes', sample: 'sampleRate' },
  });
  const path = checkPath(options.path);
  const group = checkGroup(options.group);
  const version = positiveInteger(packageName, 'version', options.version, 1);
  const minVersion = positiveInteger(packageName, 'minVersion', options.minVersion, version);
  if (minVersion > version) {
    throw configError(packageName, 'minVersion', minVersion, `it must not exceed \`version\` (${version}).`);
  }
  const publicOrigin =
    options.publicOrigin === undefined ? undefined : checkOrigin('publicOrigin', options.publicOrigin);
  const maxBytes = positiveInteger(packageName, 'maxBytes', options.maxBytes, 64 * 1024);
  const limits: NormaliseLimits = {
    maxReports: positiveInteger(packageName, 'maxReportsPerRequest', options.maxReportsPerRequest, 20),
    maxUrlLength: positiveInteger(packageName, 'maxUrlLength', options.maxUrlLength, 1024),
    maxSampleLength: positiveInteger(packageName, 'maxSampleLength', options.maxSampleLength, 160),
    keepQueryStrings: options.keepQueryStrings === true,
  };
  const dedupeWindowMs =
    options.dedupeWindowMs === 0
      ? 0
      : positiveInteger(packageName, 'dedupeWindowMs', options.dedupeWindowMs, 60_000);
  const sampleRate = fraction(packageName, 'sampleRate', options.sampleRate, 1);
  const random = options.random ?? Math.random;
  const limiter = options.limiter;
  if (limiter !== undefined && typeof limiter !== 'function') {
    throw configError(packageName, 'limiter', limiter, 'pass a middleware function, e.g. a rate limiter.');
  }
  const filters: readonly ReportFilter[] = Object.freeze([
    ...(options.defaultFilters === false ? [] : [extensionFilter, aboutFilter, injectedSourceFilter]),
    ...(options.ignoreDataUris === true ? [dataFilter] : []),
    ...(options.filters ?? []),
  ]);
  for (const filter of filters) {
    if (typeof filter?.matches !== 'function' || typeof filter.name !== 'string') {
      throw configError(
        packageName,
        'filters',
        filter,
        'pass objects of the shape { name, matches(report) }.',
      );
    }
  }
  const store = prefixedStore(options.store ?? memoryStore(), 'csp:');
  const clock = options.clock ?? systemClock;
  const counts = aggregator(
    store,
    positiveInteger(packageName, 'aggregateTtlMs', options.aggregateTtlMs, week),
    options.aggregate !== false,
  );
  const { onReport, logger } = options;

  // Dedupe is best effort and must cost the store no single-use claim (setIfAbsent): refresh rotation, replay
  // caches and OAuth state need those, and a report flood would starve them. Each window is one scored set whose
  // members are report ids; the store bounds its size, so a flood degrades dedupe, never anything else.
  const firstInWindow = async (report: CspReport): Promise<boolean> => {
    const window = Math.floor(clock.now() / dedupeWindowMs);
    return (await store.incrementMember(`dedupe:${window}`, dedupeId(report), 1, dedupeWindowMs * 2)) === 1;
  };

  const accept = async (report: CspReport): Promise<void> => {
    if (report.policyVersion === undefined || report.policyVersion < minVersion) {
      await counts.dropVersion(report.policyVersion);
      return;
    }
    const noise = filters.find((filter) => filter.matches(report));
    if (noise) {
      await counts.filtered(noise.name);
      return;
    }
    if (sampleRate < 1 && !(random() < sampleRate)) return;
    if (dedupeWindowMs > 0 && !(await firstInWindow(report))) return;
    await counts.record(report);
    logger?.info('csp_violation', { ...report });
    if (onReport) await onReport(report);
  };

  const receive = async (req: Request, res: Response): Promise<void> => {
    checkContentType(req.headers['content-type']);
    const body = await readBody(req, maxBytes);
    const reports = normaliseBody(
      body,
      {
        clientIp: getClientInfo(req).ip,
        userAgent: cleanText(req.headers['user-agent'], 512),
        policyVersion: versionFrom(req.url),
        receivedAt: clock.now(),
      },
      limits,
    );
    if (!reports)
      throw new ShieldwallError(400, 'invalid_csp_report', 'The body is not a CSP violation report.');
    for (const report of reports) await accept(report);
    res.statusCode = 204;
    res.end();
  };

  const run = (req: Request, res: Response, next: NextFunction): void => {
    receive(req, res).catch((error: unknown) => {
      // Our own refusals are answered here; anything else (a store outage, a failing callback) goes to next.
      if (isShieldwallError(error) && error.status < 500 && !res.headersSent) sendShieldwallError(res, error);
      else next(error);
    });
  };

  const cspReporterMiddleware = function cspReporterMiddleware(
    req: Request,
    res: Response,
    next: NextFunction,
  ): void {
    if (pathOf(req) !== path) {
      next();
      return;
    }
    if (req.method !== 'POST') {
      sendShieldwallError(
        res,
        new ShieldwallError(405, 'method_not_allowed', 'CSP reports are sent with POST.', {
          headers: { Allow: 'POST' },
        }),
      );
      return;
    }
    if (!limiter) {
      run(req, res, next);
      return;
    }
    const afterLimit = (error?: unknown): void => {
      if (error !== undefined && error !== null && error !== 'route' && error !== 'router') next(error);
      else if (!res.headersSent) run(req, res, next);
    };
    const result: unknown = limiter(req, res, afterLimit);
    if (result instanceof Promise) result.catch(next);
  };

  return Object.assign(cspReporterMiddleware, {
    reporting: reportingDescriptor(path, version, group, publicOrigin),
    topViolations: (limit = 10) => counts.top(limit),
    aggregate: (limit = 10) => counts.read(limit),
  });
}
