import { ShieldwallConfigError } from '@shieldwall/core';
import {
  cloudflareIpv4Ranges,
  cloudflareIpv6Ranges,
  cloudflareRanges,
  ipRanges,
  parseCloudflareIpsResponse,
  parseIpRangeList,
  trustRanges,
} from '../src/index.js';

describe('cloudflareRanges', () => {
  const ranges = cloudflareRanges();

  it.each([
    '173.245.48.1', // first block
    '104.16.132.229', // a common edge address
    '162.159.255.255', // end of 162.158.0.0/15
    '131.0.75.255',
    '2606:4700::6810:84e5',
    '2400:cb00:2049:1::a29f:1804',
    '2a06:98c7:ffff::1', // end of the /29
    '::ffff:104.16.132.229', // IPv4-mapped IPv6, as a dual-stack socket reports it
  ])('contains the Cloudflare address %s', (address) => {
    expect(ranges.contains(address)).toBe(true);
  });

  it.each([
    '127.0.0.1',
    '8.8.8.8',
    '173.245.64.0', // just past 173.245.48.0/20
    '162.160.0.0', // just past 162.158.0.0/15
    '104.32.0.0',
    '2606:4701::1',
    '2a06:98c8::1', // just past the /29
    '::1',
    '::ffff:8.8.8.8',
    '',
    'not-an-ip',
    '104.16.132.229:443',
    '104.16.132.229, 1.2.3.4',
  ])('does not contain %s', (address) => {
    expect(ranges.contains(address)).toBe(false);
  });

  it('ships both families', () => {
    expect(cloudflareIpv4Ranges).toHaveLength(15);
    expect(cloudflareIpv6Ranges).toHaveLength(7);
    expect(ranges.list()).toHaveLength(22);
  });

  it('takes extra ranges, such as a load balancer in front of the app', () => {
    expect(cloudflareRanges(['10.0.0.0/8']).contains('10.1.2.3')).toBe(true);
    expect(ranges.contains('10.1.2.3')).toBe(false);
  });
});

describe('ipRanges', () => {
  it('is replaceable at run time, and a bad replacement keeps the old ranges', () => {
    const ranges = ipRanges(['192.0.2.0/24']);
    expect(ranges.contains('192.0.2.7')).toBe(true);
    ranges.replace(['198.51.100.0/24', '2001:db8::/32']);
    expect(ranges.contains('192.0.2.7')).toBe(false);
    expect(ranges.contains('198.51.100.7')).toBe(true);
    expect(ranges.contains('2001:db8::1')).toBe(true);
    expect(() => ranges.replace(['198.51.100.0/24', 'garbage'])).toThrow(ShieldwallConfigError);
    expect(ranges.contains('198.51.100.7')).toBe(true);
    expect(ranges.list()).toEqual(['198.51.100.0/24', '2001:db8::/32']);
  });

  it('treats a bare address as a single host', () => {
    const ranges = ipRanges(['127.0.0.1', '::1']);
    expect(ranges.contains('127.0.0.1')).toBe(true);
    expect(ranges.contains('127.0.0.2')).toBe(false);
    expect(ranges.contains('::1')).toBe(true);
  });

  it.each([
    ['1.2.3.4/33'],
    ['1.2.3/24'],
    ['2001:db8::/129'],
    ['example.com/24'],
    ['1.2.3.4/'],
    ['1.2.3.4/-1'],
  ])('refuses %s at start-up with the package name', (entry) => {
    expect(() => ipRanges([entry])).toThrow(/@shieldwall\/request-guard: option `ranges`/);
  });
});

describe('parseIpRangeList', () => {
  it('reads the text format of cloudflare.com/ips-v4 and /ips-v6', () => {
    const v4 = '173.245.48.0/20\n103.21.244.0/22\r\n\n131.0.72.0/22\n';
    const v6 = '2400:cb00::/32\n2c0f:f248::/32';
    const ranges = ipRanges([...parseIpRangeList(v4), ...parseIpRangeList(v6)]);
    expect(ranges.list()).toEqual([
      '173.245.48.0/20',
      '103.21.244.0/22',
      '131.0.72.0/22',
      '2400:cb00::/32',
      '2c0f:f248::/32',
    ]);
    expect(ranges.contains('131.0.72.9')).toBe(true);
  });

  it('refuses an answer that is not a list (an HTML error page, an empty body)', () => {
    expect(() => parseIpRangeList('<html><body>Error</body></html>')).toThrow(ShieldwallConfigError);
    expect(() => parseIpRangeList('\n\n')).toThrow(ShieldwallConfigError);
  });
});

describe('parseCloudflareIpsResponse', () => {
  it('reads the JSON API shape', () => {
    const body = {
      success: true,
      result: { ipv4_cidrs: ['173.245.48.0/20'], ipv6_cidrs: ['2400:cb00::/32'], etag: 'x' },
    };
    expect(parseCloudflareIpsResponse(body)).toEqual(['173.245.48.0/20', '2400:cb00::/32']);
  });

  it('refuses a wrong shape or a bad entry', () => {
    expect(() => parseCloudflareIpsResponse({ success: false, errors: [] })).toThrow(ShieldwallConfigError);
    expect(() =>
      parseCloudflareIpsResponse({ result: { ipv4_cidrs: ['1.2.3.4/40'], ipv6_cidrs: [] } }),
    ).toThrow(ShieldwallConfigError);
  });
});

describe('trustRanges', () => {
  it('trusts only the socket peer (hop 0), and only inside the ranges', () => {
    const trust = trustRanges(cloudflareRanges());
    expect(trust('104.16.0.1', 0)).toBe(true);
    expect(trust('104.16.0.1', 1)).toBe(false);
    expect(trust('127.0.0.1', 0)).toBe(false);
  });
});
