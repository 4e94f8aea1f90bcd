import express, { type Express } from 'express';
import request from 'supertest';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { networkInterfaces } from 'node:os';
import { getClientInfo, ShieldwallConfigError } from '@shieldwall/core';
import { cloudflareRanges, clientIp, ipRanges, trustRanges, type ClientIpOptions } from '../src/index.js';

function appWith(options: ClientIpOptions, trustProxy?: unknown): Express {
  const app = express();
  if (trustProxy !== undefined) app.set('trust proxy', trustProxy);
  app.use(clientIp(options));
  app.get('/who', (req, res) => {
    res.json(getClientInfo(req));
  });
  return app;
}

describe('clientIp, socket mode', () => {
  const app = appWith({ mode: 'socket' }, true);

  it('uses the socket peer, normalising IPv4-mapped IPv6, and ignores every proxy header', async () => {
    // supertest listens on a dual-stack socket: the peer is reported as ::ffff:127.0.0.1.
    const res = await request(app)
      .get('/who')
      .set('X-Forwarded-For', '203.0.113.9')
      .set('CF-Connecting-IP', '203.0.113.10')
      .set('CF-IPCountry', 'DE');
    expect(res.body).toEqual({ ip: '127.0.0.1' });
  });
});

describe('clientIp, express mode', () => {
  it('ignores a forged X-Forwarded-For when trust proxy is off (the default)', async () => {
    const res = await request(appWith({})).get('/who').set('X-Forwarded-For', '203.0.113.9');
    expect(res.body).toEqual({ ip: '127.0.0.1' });
  });

  it('takes the forwarded address when the peer is a trusted proxy', async () => {
    const res = await request(appWith({ mode: 'express' }, 'loopback'))
      .get('/who')
      .set('X-Forwarded-For', '198.51.100.1, 203.0.113.9');
    expect(res.body).toEqual({ ip: '203.0.113.9' });
  });

  it('ignores the forwarded address when the peer is not the trusted proxy', async () => {
    const res = await request(appWith({ mode: 'express' }, '10.0.0.1'))
      .get('/who')
      .set('X-Forwarded-For', '203.0.113.9');
    expect(res.body).toEqual({ ip: '127.0.0.1' });
  });

  it('falls back to the socket peer when the forwarded value is not an address', async () => {
    const res = await request(appWith({ mode: 'express' }, 'loopback'))
      .get('/who')
      .set('X-Forwarded-For', 'evil<script>');
    expect(res.body).toEqual({ ip: '127.0.0.1' });
  });

  it('normalises a forwarded IPv4-mapped IPv6 address', async () => {
    const res = await request(appWith({ mode: 'express' }, 'loopback'))
      .get('/who')
      .set('X-Forwarded-For', '::FFFF:203.0.113.9');
    expect(res.body).toEqual({ ip: '203.0.113.9' });
  });

  it('warns once when trust proxy is true', async () => {
    const warnings: string[] = [];
    const logger = { info() {}, error() {}, warn: (message: string) => warnings.push(message) };
    const app = appWith({ mode: 'express', logger }, true);
    await request(app).get('/who');
    await request(app).get('/who');
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/trust proxy is true/);
  });
});

describe('clientIp, cloudflare mode', () => {
  it('ignores CF-Connecting-IP and CF-IPCountry from a peer outside Cloudflare', async () => {
    const res = await request(appWith({ mode: 'cloudflare' }))
      .get('/who')
      .set('CF-Connecting-IP', '203.0.113.9')
      .set('CF-IPCountry', 'DE');
    expect(res.body).toEqual({ ip: '127.0.0.1' });
  });

  describe('with the loopback peer added to the ranges, as if it were an edge', () => {
    const ranges = cloudflareRanges(['127.0.0.1/32']);
    const app = appWith({ mode: 'cloudflare', cloudflareRanges: ranges }, trustRanges(ranges));

    afterEach(() => ranges.replace(cloudflareRanges(['127.0.0.1/32']).list()));

    it('believes the headers', async () => {
      const res = await request(app)
        .get('/who')
        .set('CF-Connecting-IP', '203.0.113.9')
        .set('CF-IPCountry', 'de')
        .set('X-Forwarded-For', '198.51.100.1');
      expect(res.body).toEqual({ ip: '203.0.113.9', country: 'DE' });
    });

    it('accepts IPv6 clients and normalises IPv4-mapped ones', async () => {
      const v6 = await request(app).get('/who').set('CF-Connecting-IP', '2001:DB8::1');
      expect(v6.body).toEqual({ ip: '2001:db8::1' });
      const mapped = await request(app).get('/who').set('CF-Connecting-IP', '::ffff:203.0.113.9');
      expect(mapped.body).toEqual({ ip: '203.0.113.9' });
    });

    it.each(['not-an-ip', '203.0.113.9, 198.51.100.1', '203.0.113.9:443', '999.1.1.1', ''])(
      'ignores a malformed CF-Connecting-IP %p and keeps the peer',
      async (value) => {
        const res = await request(app).get('/who').set('CF-Connecting-IP', value);
        expect(res.body).toEqual({ ip: '127.0.0.1' });
      },
    );

    it.each(['XX', 'T1'])('keeps the special country %s', async (country) => {
      const res = await request(app)
        .get('/who')
        .set('CF-Connecting-IP', '203.0.113.9')
        .set('CF-IPCountry', country);
      expect(res.body).toEqual({ ip: '203.0.113.9', country });
    });

    it.each(['DEU', 'D', '1A', '<b>', 'D E'])('drops the malformed country %p', async (country) => {
      const res = await request(app)
        .get('/who')
        .set('CF-Connecting-IP', '203.0.113.9')
        .set('CF-IPCountry', country);
      expect(res.body).toEqual({ ip: '203.0.113.9' });
    });

    it('stops believing the peer once the ranges are replaced without it', async () => {
      ranges.replace(cloudflareRanges().list());
      const res = await request(app)
        .get('/who')
        .set('CF-Connecting-IP', '203.0.113.9')
        .set('CF-IPCountry', 'DE');
      expect(res.body).toEqual({ ip: '127.0.0.1' });
    });
  });

  // Skipped, by name and with a warning, on a host without IPv6 loopback; where it runs, a failed listen fails it.
  const ipv6 = Object.values(networkInterfaces()).some((list) => list?.some((i) => i.address === '::1'));
  if (!ipv6) console.warn('no IPv6 loopback (::1) on this host: the IPv6 client-ip test is skipped.');
  (ipv6 ? it : it.skip)(`reads a peer on an IPv6 socket too${ipv6 ? '' : ' [skipped: no ::1]'}`, async () => {
    const ranges = ipRanges(['::1/128']);
    const server = createServer(appWith({ mode: 'cloudflare', cloudflareRanges: ranges }));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '::1', resolve);
    });
    try {
      const { port } = server.address() as AddressInfo;
      const res = await request(`http://[::1]:${port}`).get('/who').set('CF-Connecting-IP', '203.0.113.9');
      expect(res.body).toEqual({ ip: '203.0.113.9' });
      const forged = await request(appWith({ mode: 'cloudflare' }))
        .get('/who')
        .set('CF-Connecting-IP', '::1');
      expect(forged.body).toEqual({ ip: '127.0.0.1' });
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});

describe('clientIp options', () => {
  it('refuses an unknown mode and a bad ranges object at start-up', () => {
    expect(() => clientIp({ mode: 'proxy' as never })).toThrow(ShieldwallConfigError);
    expect(() => clientIp({ mode: 'cloudflare', cloudflareRanges: ['1.2.3.4/32'] as never })).toThrow(
      /option `cloudflareRanges`/,
    );
  });

  it('catches app.use(clientIp) without the call', () => {
    const fakeReq = { socket: {}, method: 'GET' };
    expect(() => clientIp(fakeReq as never)).toThrow(/call it first/);
  });

  it('accepts frozen options (it never writes to them)', () => {
    expect(() => clientIp(Object.freeze({ mode: 'cloudflare' as const }))).not.toThrow();
  });
});
