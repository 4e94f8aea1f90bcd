import { BlockList, isIP } from 'node:net';
import { normaliseIp } from '@shieldwall/core';
import { configError } from '@shieldwall/core';
import { packageName } from './package-name.js';

/**
 * A set of CIDR ranges (IPv4 and IPv6) that answers "is this address inside?" through node:net's BlockList. The
 * ranges can be replaced while the app runs (for example after refreshing Cloudflare's published list); a
 * replacement is validated whole and swapped in one step, so a bad list never leaves a half-built set behind.
 */
export interface IpRanges {
  /** True when `address` (IPv4, IPv6, or IPv4-mapped IPv6) lies in one of the ranges. Malformed input is false. */
  contains(address: string | undefined): boolean;
  /** Replaces every range. Throws (and keeps the old ranges) when an entry is not an address or CIDR. */
  replace(cidrs: readonly string[]): void;
  /** The ranges as given, normalised (`a.b.c.d/n`, `x::/n`). */
  list(): readonly string[];
}

interface ParsedRange {
  address: string;
  prefix: number;
  family: 'ipv4' | 'ipv6';
}

function parseRange(entry: string, option: string): ParsedRange {
  const text = typeof entry === 'string' ? entry.trim() : '';
  const slash = text.indexOf('/');
  const address = slash === -1 ? text : text.slice(0, slash);
  const version = isIP(address);
  const max = version === 4 ? 32 : 128;
  const prefixText = slash === -1 ? String(max) : text.slice(slash + 1);
  const prefix = /^\d{1,3}$/.test(prefixText) ? Number(prefixText) : NaN;
  if (version === 0 || !(prefix >= 0 && prefix <= max)) {
    throw configError(
      packageName,
      option,
      entry,
      'pass IP addresses or CIDR ranges such as "173.245.48.0/20" or "2400:cb00::/32".',
    );
  }
  return { address, prefix, family: version === 4 ? 'ipv4' : 'ipv6' };
}

function build(ranges: readonly ParsedRange[]): BlockList {
  const list = new BlockList();
  for (const range of ranges) list.addSubnet(range.address, range.prefix, range.family);
  return list;
}

/** Builds an {@link IpRanges} from addresses and CIDR ranges; throws at start-up on a malformed entry. */
export function ipRanges(cidrs: readonly string[], option = 'ranges'): IpRanges {
  if (!Array.isArray(cidrs)) throw configError(packageName, option, cidrs, 'pass an array of CIDR ranges.');
  let parsed = (cidrs as readonly string[]).map((entry) => parseRange(entry, option));
  let blockList = build(parsed);
  return {
    contains(address) {
      if (typeof address !== 'string') return false;
      const ip = normaliseIp(address);
      const version = isIP(ip);
      if (version === 0) return false;
      return blockList.check(ip, version === 4 ? 'ipv4' : 'ipv6');
    },
    replace(next) {
      if (!Array.isArray(next)) throw configError(packageName, option, next, 'pass an array of CIDR ranges.');
      const nextParsed = (next as readonly string[]).map((entry) => parseRange(entry, option));
      const nextList = build(nextParsed);
      parsed = nextParsed;
      blockList = nextList;
    },
    list() {
      return parsed.map((range) => `${range.address}/${range.prefix}`);
    },
  };
}

/**
 * Parses the plain-text format of https://www.cloudflare.com/ips-v4 and /ips-v6: one CIDR a line, blank lines and
 * `#` comments ignored. Throws on a line that is not a CIDR, so a truncated or HTML answer never replaces a good list.
 */
export function parseIpRangeList(text: string): string[] {
  if (typeof text !== 'string')
    throw configError(packageName, 'text', text, 'pass the response body as a string.');
  const entries = text
    .split(/\r?\n/)
    .map((line) => line.replace(/#.*$/, '').trim())
    .filter((line) => line.length > 0);
  for (const entry of entries) parseRange(entry, 'ip range list');
  if (entries.length === 0)
    throw configError(packageName, 'ip range list', text, 'expected at least one CIDR range a line.');
  return entries;
}

/**
 * Reads the JSON answer of https://api.cloudflare.com/client/v4/ips (`result.ipv4_cidrs`, `result.ipv6_cidrs`) into
 * one list. Throws when the shape is wrong or an entry is not a CIDR.
 */
export function parseCloudflareIpsResponse(body: unknown): string[] {
  const result = (
    body as { success?: unknown; result?: { ipv4_cidrs?: unknown; ipv6_cidrs?: unknown } } | null
  )?.result;
  const v4 = result?.ipv4_cidrs;
  const v6 = result?.ipv6_cidrs;
  if (!Array.isArray(v4) || !Array.isArray(v6) || v4.length + v6.length === 0) {
    throw configError(
      packageName,
      'cloudflare ips response',
      typeof body,
      'expected result.ipv4_cidrs and result.ipv6_cidrs.',
    );
  }
  const entries: unknown[] = [...(v4 as unknown[]), ...(v6 as unknown[])];
  return entries.map((entry) => {
    if (typeof entry !== 'string')
      throw configError(packageName, 'cloudflare ips response', entry, 'expected CIDR strings.');
    parseRange(entry, 'cloudflare ips response');
    return entry;
  });
}
