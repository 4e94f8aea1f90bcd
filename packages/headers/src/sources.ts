import { configError } from '@shieldwall/core';

export const packageName = '@shieldwall/headers';

const keywords = new Set([
  "'self'",
  "'none'",
  "'unsafe-inline'",
  "'unsafe-eval'",
  "'strict-dynamic'",
  "'unsafe-hashes'",
  "'report-sample'",
  "'wasm-unsafe-eval'",
  "'inline-speculation-rules'",
  "'trusted-types-eval'",
]);
const bare = new Set([...keywords].map((keyword) => keyword.slice(1, -1)));
const hash = /^'sha(?:256|384|512)-[A-Za-z0-9+/_-]+={0,2}'$/;
const scheme = /^[a-z][a-z0-9+.-]*:$/i;
// scheme://, host with an optional leading wildcard label, optional port, optional path without separators.
const host =
  /^(?:[a-z][a-z0-9+.-]*:\/\/)?(?:\*|(?:\*\.)?[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*)(?::(?:\d{1,5}|\*))?(?:\/[A-Za-z0-9\-._~!$&()*+=:@%/]*)?$/i;

/**
 * Checks one source expression of a fetch directive. Keywords must be quoted (an unquoted `self` is a host named
 * "self"), and nothing may smuggle in another directive or header (`;`, `,`, whitespace, control characters).
 */
export function checkSource(directive: string, source: unknown): string {
  const option = `csp.directives.${directive}`;
  if (typeof source !== 'string' || source === '') {
    throw configError(packageName, option, source, 'pass non-empty strings.');
  }
  if (keywords.has(source) || hash.test(source) || source === '*') return source;
  if (bare.has(source.toLowerCase())) {
    throw configError(packageName, option, source, `keywords are quoted: write "'${source.toLowerCase()}'".`);
  }
  if (/^'nonce-/i.test(source)) {
    throw configError(
      packageName,
      option,
      source,
      'nonces must be fresh per request: set `csp.nonce` instead.',
    );
  }
  if (source.startsWith("'")) {
    throw configError(packageName, option, source, 'this is not a CSP keyword or hash.');
  }
  if (scheme.test(source) || host.test(source)) return source;
  throw configError(
    packageName,
    option,
    source,
    'pass a quoted keyword, a hash, a scheme ("https:") or a host ("https://cdn.example.com"), without ";", "," or spaces.',
  );
}

/** A fetch directive's list: each source checked, and `'none'` only alone. */
export function checkSourceList(directive: string, sources: unknown): string[] {
  if (!Array.isArray(sources) || sources.length === 0) {
    throw configError(
      packageName,
      `csp.directives.${directive}`,
      sources,
      'pass a non-empty array, e.g. ["\'self\'"].',
    );
  }
  const checked = sources.map((source: unknown) => checkSource(directive, source));
  if (checked.includes("'none'") && checked.length > 1) {
    throw configError(packageName, `csp.directives.${directive}`, sources, "'none' must be the only source.");
  }
  return checked;
}

/** A list of bare tokens (sandbox flags, trusted-types names) matching `pattern`. */
export function checkTokens(directive: string, tokens: unknown, pattern: RegExp, fix: string): string[] {
  if (!Array.isArray(tokens) || tokens.some((token) => typeof token !== 'string' || !pattern.test(token))) {
    throw configError(packageName, `csp.directives.${directive}`, tokens, fix);
  }
  return tokens as string[];
}
