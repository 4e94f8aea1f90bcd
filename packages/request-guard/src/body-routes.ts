import { checkOptionNames, configError, positiveInteger, type OptionNames } from '@shieldwall/core';
import { packageName } from './package-name.js';

/** A per-route exception to the body guard's defaults. The first route whose `path` matches wins. */
export interface BodyRoute {
  /**
   * Which requests this applies to, compared with `req.path` (relative to where the guard is mounted):
   * an exact path (`"/api/csp-report-endpoint"`), a prefix ending in `*` (`"/api/wallets*"` matches
   * `/api/wallets` and `/api/wallets/1/sign`), a RegExp, or a function. Strings compare as Express routes do by
   * default: case-insensitively, with or without a trailing slash.
   */
  path: string | RegExp | ((path: string) => boolean);
  /** Media types accepted here (`type/subtype`, no parameters). `application/json` is parsed; others are left unread. */
  types: readonly string[];
  /** The body size limit here, in bytes. Defaults to the guard's `limit`. */
  limit?: number;
}

const routeOptionNames: OptionNames<BodyRoute> = { path: true, types: true, limit: true };

export interface CompiledRoute {
  matches(path: string): boolean;
  types: ReadonlySet<string>;
  limit: number;
}

const mediaTypePattern = /^[a-z0-9!#$&^_.+-]+\/[a-z0-9!#$&^_.+-]+$/;

export function mediaTypeSet(option: string, value: unknown): ReadonlySet<string> {
  if (
    !Array.isArray(value) ||
    !value.every((item) => typeof item === 'string' && mediaTypePattern.test(item.toLowerCase()))
  ) {
    throw configError(
      packageName,
      option,
      value,
      'pass media types such as ["application/json"], without parameters.',
    );
  }
  return new Set((value as string[]).map((item) => item.toLowerCase()));
}

function canonicalPath(path: string): string {
  const lower = path.toLowerCase();
  return lower.length > 1 && lower.endsWith('/') ? lower.slice(0, -1) : lower;
}

function pathMatcher(option: string, path: unknown): (path: string) => boolean {
  if (typeof path === 'function') return path as (path: string) => boolean;
  if (path instanceof RegExp) return (candidate) => path.test(candidate);
  if (typeof path !== 'string' || !path.startsWith('/') || path.indexOf('*') !== path.lastIndexOf('*')) {
    throw configError(packageName, option, path, 'pass a path starting with "/", optionally ending in "*".');
  }
  if (path.endsWith('*')) {
    const prefix = path.slice(0, -1).toLowerCase();
    return (candidate) => candidate.toLowerCase().startsWith(prefix);
  }
  if (path.includes('*')) {
    throw configError(packageName, option, path, '`*` may only end a path.');
  }
  const exact = canonicalPath(path);
  return (candidate) => canonicalPath(candidate) === exact;
}

export function compileRoutes(value: unknown, fallbackLimit: number): CompiledRoute[] {
  if (value === undefined) return [];
  if (!Array.isArray(value))
    throw configError(packageName, 'routes', value, 'pass an array of { path, types }.');
  return (value as unknown[]).map((route, index) => {
    const option = `routes[${index}]`;
    if (typeof route !== 'object' || route === null) {
      throw configError(packageName, option, route, 'pass { path, types, limit? }.');
    }
    checkOptionNames(packageName, `bodyGuard({ ${option} })`, route, routeOptionNames, {
      hints: { type: 'types' },
    });
    const { path, types, limit } = route as Partial<BodyRoute>;
    return {
      matches: pathMatcher(`${option}.path`, path),
      types: mediaTypeSet(`${option}.types`, types),
      limit: positiveInteger(packageName, `${option}.limit`, limit, fallbackLimit),
    };
  });
}
