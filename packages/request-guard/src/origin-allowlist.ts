import { configError } from '@shieldwall/core';
import { packageName } from './package-name.js';

const label = '[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?';
const labelPattern = new RegExp(`^${label}$`);
const patternShape = /^(https?):\/\/((?:\*\.)+)([^/:]+)(?::(\d{1,5}))?$/;
const defaultPorts: Readonly<Record<string, string>> = { http: '80', https: '443' };

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** `https://*.example.com` (one DNS label a `*`) compiled to an anchored expression; never a substring match. */
function compilePattern(entry: string, option: string): RegExp {
  const shape = patternShape.exec(entry.toLowerCase());
  const fix =
    'a pattern puts `*` only as whole left-most labels before at least two fixed labels, e.g. "https://*.example.com".';
  if (!shape) throw configError(packageName, option, entry, fix);
  const [, scheme = '', wildcards = '', host = '', port] = shape;
  const labels = host.split('.');
  if (labels.length < 2 || !labels.every((part) => labelPattern.test(part))) {
    throw configError(packageName, option, entry, fix);
  }
  if (port !== undefined && (Number(port) < 1 || Number(port) > 65535)) {
    throw configError(packageName, option, entry, 'pass a port from 1 to 65535.');
  }
  const wildcardCount = wildcards.length / 2;
  const portPart = port === undefined || port === defaultPorts[scheme] ? '' : `:${port}`;
  return new RegExp(
    `^${scheme}://${`${label}\\.`.repeat(wildcardCount)}${escapeRegExp(host)}${escapeRegExp(portPart)}$`,
  );
}

function exactOrigin(entry: string, option: string): string {
  let url: URL | undefined;
  try {
    url = new URL(entry);
  } catch {
    url = undefined;
  }
  if (
    !url ||
    (url.protocol !== 'https:' && url.protocol !== 'http:') ||
    url.origin !== entry.replace(/\/$/, '')
  ) {
    throw configError(
      packageName,
      option,
      entry,
      'pass origins such as "https://app.example.com" (scheme, host and port only; never "*" or "null").',
    );
  }
  return url.origin;
}

/** Decides whether an `Origin` header is allowed. Built once from the configured list. */
export interface OriginAllowlist {
  allows(origin: string | undefined): boolean;
}

export function originAllowlist(entries: unknown, option = 'origins'): OriginAllowlist {
  if (!Array.isArray(entries) || entries.some((entry) => typeof entry !== 'string')) {
    throw configError(packageName, option, entries, 'pass an array of origin strings.');
  }
  const exact = new Set<string>();
  const patterns: RegExp[] = [];
  for (const entry of entries as string[]) {
    if (entry.includes('*')) patterns.push(compilePattern(entry, option));
    else exact.add(exactOrigin(entry, option));
  }
  return {
    allows(origin) {
      // `null` (sandboxed frames, file://, some redirects) is never allowed: anyone can produce it.
      if (origin === undefined || origin === 'null' || origin.length > 2048) return false;
      if (exact.has(origin)) return true;
      for (const pattern of patterns) if (pattern.test(origin)) return true;
      return false;
    },
  };
}
