import { cleanInteger, cleanText, cleanUrl } from './sanitise.js';
import type { CspReport } from './types.js';

/** What the request says about every report in it. */
export interface ReportContext {
  clientIp: string;
  userAgent: string;
  policyVersion: number | undefined;
  receivedAt: number;
}

export interface NormaliseLimits {
  maxUrlLength: number;
  maxSampleLength: number;
  maxReports: number;
  keepQueryStrings: boolean;
}

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Own properties only: a body may name `__proto__` or `constructor`. */
function field(object: Json, name: string): unknown {
  return Object.hasOwn(object, name) ? object[name] : undefined;
}

function directive(value: unknown): string {
  // Old browsers send only `violated-directive`, sometimes with its sources ("script-src 'self'"): keep the name.
  const text = cleanText(value, 64).trim().toLowerCase().split(/\s/, 1)[0] ?? '';
  return /^[a-z-]{1,40}$/.test(text) ? text : '';
}

function build(
  get: (name: string) => unknown,
  names: Record<
    'document' | 'blocked' | 'directive' | 'fallbackDirective' | 'disposition' | 'source' | 'line' | 'column',
    string
  > &
    Record<'sample' | 'status', string>,
  context: ReportContext,
  limits: NormaliseLimits,
  format: CspReport['format'],
  userAgent: string,
): CspReport {
  const url = (name: string): string => cleanUrl(get(name), limits.maxUrlLength, limits.keepQueryStrings);
  return {
    documentUrl: url(names.document),
    blockedUrl: url(names.blocked),
    effectiveDirective: directive(get(names.directive)) || directive(get(names.fallbackDirective)),
    disposition: get(names.disposition) === 'report' ? 'report' : 'enforce',
    sourceFile: url(names.source),
    line: cleanInteger(get(names.line), 10_000_000),
    column: cleanInteger(get(names.column), 10_000_000),
    sample: cleanText(get(names.sample), limits.maxSampleLength),
    statusCode: cleanInteger(get(names.status), 999),
    userAgent,
    clientIp: context.clientIp,
    policyVersion: context.policyVersion,
    receivedAt: context.receivedAt,
    format,
  };
}

function fromLegacy(report: Json, context: ReportContext, limits: NormaliseLimits): CspReport {
  return build(
    (name) => field(report, name),
    {
      document: 'document-uri',
      blocked: 'blocked-uri',
      directive: 'effective-directive',
      fallbackDirective: 'violated-directive',
      disposition: 'disposition',
      source: 'source-file',
      line: 'line-number',
      column: 'column-number',
      sample: 'script-sample',
      status: 'status-code',
    },
    context,
    limits,
    'csp-report',
    context.userAgent,
  );
}

function fromReportingApi(
  report: Json,
  body: Json,
  context: ReportContext,
  limits: NormaliseLimits,
): CspReport {
  const agent = cleanText(field(report, 'user_agent'), 512) || context.userAgent;
  return build(
    (name) => field(body, name),
    {
      document: 'documentURL',
      blocked: 'blockedURL',
      directive: 'effectiveDirective',
      fallbackDirective: 'violatedDirective',
      disposition: 'disposition',
      source: 'sourceFile',
      line: 'lineNumber',
      column: 'columnNumber',
      sample: 'sample',
      status: 'statusCode',
    },
    context,
    limits,
    'reports+json',
    agent,
  );
}

/**
 * Turns a parsed body into reports. Returns undefined when the body is neither shape (the caller answers 400).
 * Reporting API batches may mix report types: entries that are not CSP violations are skipped, and at most
 * `maxReports` are read.
 */
export function normaliseBody(
  body: unknown,
  context: ReportContext,
  limits: NormaliseLimits,
): CspReport[] | undefined {
  if (isObject(body)) {
    const legacy = field(body, 'csp-report');
    if (isObject(legacy)) return [fromLegacy(legacy, context, limits)];
    body = [body];
  }
  if (!Array.isArray(body) || body.length === 0) return undefined;
  const reports: CspReport[] = [];
  for (const entry of body as unknown[]) {
    if (!isObject(entry)) return undefined;
    const inner = field(entry, 'body');
    if (!isObject(inner)) return undefined;
    if (field(entry, 'type') !== 'csp-violation') continue;
    if (reports.length < limits.maxReports) reports.push(fromReportingApi(entry, inner, context, limits));
  }
  return reports;
}
