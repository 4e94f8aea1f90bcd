/** One CSP violation, normalised from either report format. Every field came from the client: treat as untrusted. */
export interface CspReport {
  /** The page that violated its policy, without query string or fragment (they may hold tokens). */
  documentUrl: string;
  /** What was blocked: a URL without query or fragment, or a keyword such as `inline` or `eval`. */
  blockedUrl: string;
  /** The directive that was violated, e.g. `script-src-elem`. */
  effectiveDirective: string;
  /** `enforce` (blocked) or `report` (report-only policy). */
  disposition: 'enforce' | 'report';
  /** The script that caused the violation, without query string or fragment. Empty when unknown. */
  sourceFile: string;
  /** Line in `sourceFile`, when known. */
  line: number | undefined;
  /** Column in `sourceFile`, when known. */
  column: number | undefined;
  /** The first characters of the blocked code (only with `'report-sample'` in the policy). */
  sample: string;
  /** The HTTP status of the document. */
  statusCode: number | undefined;
  /** The reporting browser's User-Agent (the report's own, else the request header). */
  userAgent: string;
  /** The client IP that sent the report. */
  clientIp: string;
  /** The policy version from `?version=N`; undefined when missing or not a whole number. */
  policyVersion: number | undefined;
  /** When the report arrived, in milliseconds since the epoch (from the injected clock). */
  receivedAt: number;
  /** Which wire format it came in. */
  format: 'csp-report' | 'reports+json';
}

/** A noise filter: reports it matches are dropped and counted under its name. */
export interface ReportFilter {
  /** Short name for the counts, e.g. `extension`. */
  name: string;
  /** True to drop the report. */
  matches(report: Readonly<CspReport>): boolean;
}

/**
 * Where reports go, shared with @shieldwall/headers so that `report-uri`, `report-to` and `Reporting-Endpoints`
 * are built from the same path, version and group as the endpoint that receives them.
 */
export interface CspReportingDescriptor {
  /** The endpoint's path, e.g. `/api/csp-report-endpoint`. */
  readonly path: string;
  /** The current policy version. */
  readonly version: number;
  /** The Reporting API group name used in `report-to` and `Reporting-Endpoints`. */
  readonly group: string;
  /** The path with the version: the `report-uri` value, e.g. `/api/csp-report-endpoint?version=5`. */
  readonly uri: string;
  /**
   * The absolute endpoint URL for `Reporting-Endpoints` (which needs one). Uses `origin`, else the reporter's
   * `publicOrigin`; undefined when neither is known.
   */
  endpointUrl(origin?: string): string | undefined;
}

export interface ViolationCount {
  directive: string;
  blockedOrigin: string;
  count: number;
}

export interface NamedCount {
  name: string;
  count: number;
}

/** What the aggregate holds: accepted reports by version, directive and blocked origin, and what was dropped. */
export interface CspAggregate {
  byVersion: NamedCount[];
  byDirective: NamedCount[];
  byBlockedOrigin: NamedCount[];
  topViolations: ViolationCount[];
  /** Reports dropped because their version was below `minVersion` (`unversioned` when it had none). */
  droppedByVersion: NamedCount[];
  /** Reports dropped by a noise filter, by filter name. */
  filtered: NamedCount[];
}
