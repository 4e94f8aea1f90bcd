import { checkOptionNames, configError, type OptionNames } from '@shieldwall/core';
import { packageName } from './sources.js';

export interface HstsOptions {
  /** Seconds browsers remember to use HTTPS only. Defaults to `31536000` (one year). */
  maxAge?: number;
  /** Applies to every subdomain too. Defaults to `true`. */
  includeSubDomains?: boolean;
  /** Asks for inclusion in browsers' preload lists (needs one year and includeSubDomains). Defaults to `false`. */
  preload?: boolean;
}

export const oneYear = 31_536_000;

const hstsOptionNames: OptionNames<HstsOptions> = { maxAge: true, includeSubDomains: true, preload: true };

/** Validated settings; `preload` without hstspreload.org's requirements is a start-up error, not a silent header. */
export function checkHsts(options: Readonly<HstsOptions>): Required<HstsOptions> {
  checkOptionNames(packageName, 'securityHeaders({ hsts })', options, hstsOptionNames);
  const maxAge = options.maxAge ?? oneYear;
  if (typeof maxAge !== 'number' || !Number.isSafeInteger(maxAge) || maxAge < 0) {
    throw configError(packageName, 'hsts.maxAge', maxAge, 'pass whole seconds, e.g. 31536000 (one year).');
  }
  const includeSubDomains = options.includeSubDomains ?? true;
  const preload = options.preload ?? false;
  if (preload && (maxAge < oneYear || !includeSubDomains)) {
    throw configError(
      packageName,
      'hsts',
      { maxAge, includeSubDomains, preload },
      'preload lists require maxAge >= 31536000 and includeSubDomains: true (hstspreload.org); fix those or drop preload.',
    );
  }
  return { maxAge, includeSubDomains, preload };
}
