import { ipRanges, type IpRanges } from './ip-ranges.js';

/**
 * Cloudflare's published edge ranges (https://www.cloudflare.com/ips-v4 and /ips-v6) as of late 2026. Cloudflare
 * changes them rarely; refresh them at run time with `ranges.replace(...)` and `parseIpRangeList` or
 * `parseCloudflareIpsResponse`.
 */
export const cloudflareIpv4Ranges: readonly string[] = Object.freeze([
  '173.245.48.0/20',
  '103.21.244.0/22',
  '103.22.200.0/22',
  '103.31.4.0/22',
  '141.101.64.0/18',
  '108.162.192.0/18',
  '190.93.240.0/20',
  '188.114.96.0/20',
  '197.234.240.0/22',
  '198.41.128.0/17',
  '162.158.0.0/15',
  '104.16.0.0/13',
  '104.24.0.0/14',
  '172.64.0.0/13',
  '131.0.72.0/22',
]);

export const cloudflareIpv6Ranges: readonly string[] = Object.freeze([
  '2400:cb00::/32',
  '2606:4700::/32',
  '2803:f800::/32',
  '2405:b500::/32',
  '2405:8100::/32',
  '2a06:98c0::/29',
  '2c0f:f248::/32',
]);

/** A fresh, replaceable set of Cloudflare's ranges (plus `extra` ranges, e.g. your own load balancer's). */
export function cloudflareRanges(extra: readonly string[] = []): IpRanges {
  return ipRanges([...cloudflareIpv4Ranges, ...cloudflareIpv6Ranges, ...extra], 'cloudflareRanges');
}

/**
 * An Express `trust proxy` function that trusts the socket peer only when it is a Cloudflare edge (hop 0), so
 * `req.protocol` believes `X-Forwarded-Proto` and `req.ip` takes the address Cloudflare appended to
 * `X-Forwarded-For`, and nothing a client wrote further left. `app.set('trust proxy', trustRanges(ranges))`.
 */
export function trustRanges(ranges: IpRanges): (address: string, hop: number) => boolean {
  return function trustedProxy(address, hop) {
    return hop === 0 && ranges.contains(address);
  };
}
