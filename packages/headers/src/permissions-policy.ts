import { configError } from '@shieldwall/core';
import { packageName } from './sources.js';

/** Feature → allowlist. `[]` disables the feature; entries are `self`, `*`, `src` or origins. */
export type PermissionsPolicy = Readonly<Record<string, readonly string[]>>;

function item(feature: string, value: unknown): string {
  const bare = typeof value === 'string' ? value.replace(/^'(self|src|none)'$/, '$1') : value;
  if (bare === 'self' || bare === '*' || bare === 'src') return bare;
  if (typeof bare === 'string') {
    try {
      const url = new URL(bare);
      if ((url.protocol === 'https:' || url.protocol === 'http:') && url.origin === bare) return `"${bare}"`;
    } catch {
      // reported below
    }
  }
  throw configError(
    packageName,
    `permissionsPolicy.${feature}`,
    value,
    'pass "self", "*", "src" or origins.',
  );
}

/** The `Permissions-Policy` header value, e.g. `camera=(), geolocation=(self "https://maps.example")`. */
export function permissionsPolicyValue(policy: PermissionsPolicy): string {
  const entries = Object.entries(policy).map(([feature, allow]) => {
    if (!/^[a-z][a-z0-9-]{0,63}$/.test(feature) || !Array.isArray(allow)) {
      throw configError(
        packageName,
        `permissionsPolicy.${feature}`,
        allow,
        'pass feature names with arrays.',
      );
    }
    if (allow.length === 1 && allow[0] === '*') return `${feature}=*`;
    return `${feature}=(${allow.map((value: unknown) => item(feature, value)).join(' ')})`;
  });
  if (entries.length === 0) {
    throw configError(packageName, 'permissionsPolicy', policy, 'pass at least one feature, or false.');
  }
  return entries.join(', ');
}
