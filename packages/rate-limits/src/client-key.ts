import type { IncomingMessage } from 'node:http';
import { isIP, type BlockList } from 'node:net';
import { getClientInfo } from '@shieldwall/core';
import { ipKeyGenerator } from 'express-rate-limit';

/**
 * The client part of a limiter key: the IP that request-guard resolved (a spoofed X-Forwarded-For or
 * CF-Connecting-IP from an untrusted peer never reaches it), IPv6 grouped by subnet with express-rate-limit's
 * `ipKeyGenerator`. A request without a usable IP shares one `unknown` bucket rather than escaping the limit.
 */
export function clientKey(req: IncomingMessage, ipv6Subnet: number): string {
  const { ip } = getClientInfo(req);
  const family = isIP(ip);
  if (family === 4) return ip;
  return family === 0 ? 'unknown' : ipKeyGenerator(ip, ipv6Subnet);
}

export function isAllowlisted(req: IncomingMessage, allowlist: BlockList): boolean {
  const { ip } = getClientInfo(req);
  const family = isIP(ip);
  return family !== 0 && allowlist.check(ip, family === 4 ? 'ipv4' : 'ipv6');
}
