import { configError } from '@shieldwall/core';
import type { CspReportingDescriptor } from './types.js';

const packageName = '@shieldwall/csp-reporter';

/** Validates an origin such as `https://app.example.com` (no path, query or fragment). */
export function checkOrigin(option: string, value: unknown): string {
  let parsed: URL | undefined;
  try {
    parsed = typeof value === 'string' ? new URL(value) : undefined;
  } catch {
    parsed = undefined;
  }
  if (
    !parsed ||
    (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') ||
    parsed.origin !== String(value).replace(/\/$/, '')
  ) {
    throw configError(packageName, option, value, 'pass an origin such as "https://app.example.com".');
  }
  return parsed.origin;
}

/** The frozen descriptor @shieldwall/headers reads: one source of truth for path, version and group. */
export function reportingDescriptor(
  path: string,
  version: number,
  group: string,
  publicOrigin: string | undefined,
): CspReportingDescriptor {
  const uri = `${path}?version=${version}`;
  return Object.freeze({
    path,
    version,
    group,
    uri,
    endpointUrl(origin?: string): string | undefined {
      const base = origin === undefined ? publicOrigin : checkOrigin('endpointUrl(origin)', origin);
      return base === undefined ? undefined : `${base}${uri}`;
    },
  });
}
