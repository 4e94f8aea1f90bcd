import { configError } from '@shieldwall/core';
import type { CspReporting } from './options.js';
import { packageName } from './sources.js';

/** The report directives and the `Reporting-Endpoints` value, computed once from the reporter's descriptor. */
export function reportingParts(
  reporting: CspReporting | undefined,
  publicOrigin: string | undefined,
): { tail: string[]; endpointsHeader?: string } {
  if (reporting === undefined) return { tail: [] };
  const { uri, group } = reporting;
  if (typeof uri !== 'string' || !/^(?:\/|https:\/\/)[A-Za-z0-9\-._~!$&()*+=:@%/?]*$/.test(uri)) {
    throw configError(
      packageName,
      'reporting.uri',
      uri,
      'pass reporter.reporting from @shieldwall/csp-reporter.',
    );
  }
  if (typeof group !== 'string' || !/^[A-Za-z0-9_-]{1,64}$/.test(group)) {
    throw configError(packageName, 'reporting.group', group, 'pass a token of letters, digits, "-" and "_".');
  }
  const url = typeof reporting.endpointUrl === 'function' ? reporting.endpointUrl(publicOrigin) : undefined;
  // Without an absolute URL there is no Reporting-Endpoints header, and report-to would name an unknown group.
  if (url === undefined) return { tail: [`report-uri ${uri}`] };
  if (!/^https?:\/\/[A-Za-z0-9\-._~!$&()*+=:@%/?]+$/.test(url)) {
    throw configError(
      packageName,
      'reporting.endpointUrl',
      url,
      'the endpoint must be an absolute http(s) URL.',
    );
  }
  return { tail: [`report-uri ${uri}`, `report-to ${group}`], endpointsHeader: `${group}="${url}"` };
}
