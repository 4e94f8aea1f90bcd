export { cspReporter, type CspReporter } from './reporter.js';
export type { CspReporterOptions } from './options.js';
export type {
  CspAggregate,
  CspReport,
  CspReportingDescriptor,
  NamedCount,
  ReportFilter,
  ViolationCount,
} from './types.js';
export {
  aboutFilter,
  dataFilter,
  extensionFilter,
  hostFilter,
  injectedSourceFilter,
  knownInjectedHosts,
} from './filters.js';
export { reportingDescriptor } from './reporting.js';
