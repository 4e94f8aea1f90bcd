import express from 'express';
import request from 'supertest';
import { manualClock } from '@shieldwall/core';
import { cspReporter, type ReportFilter } from '../src/index.js';
import { harness, legacyBody, reportingBody } from './helpers.js';

const endpoint = '/api/csp-report-endpoint?version=5';

describe('cspReporter: formats', () => {
  it('accepts the legacy format with 204 and no body, and normalises it', async () => {
    const clock = manualClock(Date.UTC(2026, 5, 1));
    const h = harness({ clock });
    const res = await request(h.app)
      .post(endpoint)
      .set('Content-Type', 'application/csp-report')
      .set('User-Agent', 'UA/1.0')
      .send(legacyBody())
      .expect(204);
    expect(res.text).toBe('');
    expect(h.received).toEqual([
      {
        documentUrl: 'https://app.example.com/account',
        blockedUrl: 'https://evil.example.net/x.js',
        effectiveDirective: 'script-src-elem',
        disposition: 'enforce',
        sourceFile: 'https://app.example.com/app.js',
        line: 12,
        column: 7,
        sample: '',
        statusCode: 200,
        userAgent: 'UA/1.0',
        clientIp: '127.0.0.1',
        policyVersion: 5,
        receivedAt: Date.UTC(2026, 5, 1),
        format: 'csp-report',
      },
    ]);
  });

  it('accepts a Reporting API batch and skips entries of other types', async () => {
    const h = harness();
    const batch = JSON.parse(reportingBody({}, 2)) as unknown[];
    batch.push({ type: 'deprecation', body: { id: 'x' } });
    await request(h.app)
      .post(endpoint)
      .set('Content-Type', 'application/reports+json')
      .send(JSON.stringify(batch))
      .expect(204);
    expect(h.received).toHaveLength(2);
    expect(h.received[0]).toMatchObject({
      documentUrl: 'https://app.example.com/',
      blockedUrl: 'inline',
      effectiveDirective: 'script-src-elem',
      sample: 'alert(0)',
      userAgent: 'Mozilla/5.0 Test',
      line: 3,
      format: 'reports+json',
      policyVersion: 5,
    });
  });

  it('accepts application/json with either shape', async () => {
    const h = harness();
    await request(h.app)
      .post(endpoint)
      .set('Content-Type', 'application/json')
      .send(legacyBody())
      .expect(204);
    await request(h.app)
      .post(endpoint)
      .set('Content-Type', 'application/json; charset=utf-8')
      .send(reportingBody())
      .expect(204);
    expect(h.received.map((r) => r.format)).toEqual(['csp-report', 'reports+json']);
  });

  it('falls back to violated-directive and keeps only the directive name', async () => {
    const h = harness();
    await request(h.app)
      .post(endpoint)
      .set('Content-Type', 'application/csp-report')
      .send(legacyBody({ 'effective-directive': undefined, 'violated-directive': "img-src 'self'" }))
      .expect(204);
    expect(h.received[0]!.effectiveDirective).toBe('img-src');
  });
});

describe('cspReporter: attacker input', () => {
  it('strips control characters, caps lengths, ignores wrong types and reflects nothing', async () => {
    const h = harness({ maxUrlLength: 64, maxSampleLength: 10 });
    const res = await request(h.app)
      .post(endpoint)
      .set('Content-Type', 'application/csp-report')
      .send(
        legacyBody({
          'document-uri': 'https://a.example/\n{"level":"error"}\u001b[31m\u202e' + 'x'.repeat(500),
          'script-sample': '<script>\r\nalert(1)</script>',
          'line-number': 'NaN',
          'column-number': -4,
          'status-code': { nested: true },
          'effective-directive': 'script-src; default-src *',
          'violated-directive': 'script-src;',
          disposition: '<b>',
        }),
      )
      .expect(204);
    expect(res.text).toBe('');
    const report = h.received[0]!;
    expect(report.documentUrl).toHaveLength(64);
    // eslint-disable-next-line no-control-regex
    expect(report.documentUrl).not.toMatch(/[\u0000-\u001f\u202e]/);
    expect(report.sample).toBe('<script>al');
    expect(report.line).toBeUndefined();
    expect(report.column).toBeUndefined();
    expect(report.statusCode).toBeUndefined();
    expect(report.effectiveDirective).toBe('');
    expect(report.disposition).toBe('enforce');
  });

  it('keeps query strings only when asked', async () => {
    const h = harness({ keepQueryStrings: true });
    await request(h.app)
      .post(endpoint)
      .set('Content-Type', 'application/csp-report')
      .send(legacyBody())
      .expect(204);
    expect(h.received[0]!.documentUrl).toBe('https://app.example.com/account?reset=secret-token#frag');
  });

  it('does not let __proto__ in a report reach anything', async () => {
    const h = harness();
    await request(h.app)
      .post(endpoint)
      .set('Content-Type', 'application/csp-report')
      .send(
        '{"csp-report":{"__proto__":{"polluted":1},"blocked-uri":"inline","effective-directive":"script-src"}}',
      )
      .expect(204);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(h.received[0]).not.toHaveProperty('polluted');
  });
});

describe('cspReporter: refusals record nothing', () => {
  const expectNothing = async (h: ReturnType<typeof harness>): Promise<void> => {
    expect(h.received).toEqual([]);
    const agg = await h.reporter.aggregate();
    expect(agg.byVersion).toEqual([]);
    expect(agg.droppedByVersion).toEqual([]);
  };

  it.each([
    ['text/plain', 'text/plain'],
    ['form', 'application/x-www-form-urlencoded'],
    ['a non-UTF-8 charset', 'application/json; charset=latin1'],
  ])('415 for %s', async (_name, type) => {
    const h = harness();
    const res = await request(h.app).post(endpoint).set('Content-Type', type).send(legacyBody()).expect(415);
    expect(res.body.error.code).toBe('unsupported_media_type');
    await expectNothing(h);
  });

  it('415 with no Content-Type', async () => {
    const h = harness();
    const res = await request(h.app).post(endpoint).send(Buffer.from(legacyBody())).expect(415);
    expect(res.body.error.code).toBe('unsupported_media_type');
    await expectNothing(h);
  });

  it('400 invalid_json for a body that is not JSON, without echoing it', async () => {
    const h = harness();
    const res = await request(h.app)
      .post(endpoint)
      .set('Content-Type', 'application/csp-report')
      .send('{"csp-report": <script>')
      .expect(400);
    expect(res.body).toEqual({ error: { code: 'invalid_json', message: 'The report is not valid JSON.' } });
    await expectNothing(h);
  });

  it('400 invalid_json for bytes that are not UTF-8', async () => {
    const h = harness();
    const req = request(h.app).post(endpoint).set('Content-Type', 'application/json');
    req.write(Buffer.from([0x7b, 0xff, 0x7d]));
    const res = await req.expect(400);
    expect(res.body.error.code).toBe('invalid_json');
    await expectNothing(h);
  });

  it.each([
    ['a number', '42'],
    ['an object of neither shape', '{"report":{}}'],
    ['an empty array', '[]'],
    ['an array of strings', '["x"]'],
    ['a report without body', '[{"type":"csp-violation"}]'],
    ['csp-report that is not an object', '{"csp-report":"x"}'],
  ])('400 invalid_csp_report for %s', async (_name, body) => {
    const h = harness();
    const res = await request(h.app)
      .post(endpoint)
      .set('Content-Type', 'application/json')
      .send(body)
      .expect(400);
    expect(res.body.error.code).toBe('invalid_csp_report');
    await expectNothing(h);
  });

  it('413 for a declared length over the cap', async () => {
    const h = harness({ maxBytes: 1024 });
    const res = await request(h.app)
      .post(endpoint)
      .set('Content-Type', 'application/csp-report')
      .send(legacyBody({ 'script-sample': 'x'.repeat(4096) }))
      .expect(413);
    expect(res.body.error.code).toBe('payload_too_large');
    await expectNothing(h);
  });

  it('413 for a chunked body that passes the cap while streaming', async () => {
    const h = harness({ maxBytes: 1024 });
    const req = request(h.app).post(endpoint).set('Content-Type', 'application/csp-report');
    // No Content-Length: supertest streams the body in chunks through write().
    req.set('Transfer-Encoding', 'chunked');
    for (let i = 0; i < 8; i++) req.write('x'.repeat(512));
    const res = await req.expect(413);
    expect(res.body.error.code).toBe('payload_too_large');
    await expectNothing(h);
  });

  it('405 for other methods on the path, and passes other paths on', async () => {
    const h = harness();
    const res = await request(h.app).get(endpoint).expect(405);
    expect(res.headers.allow).toBe('POST');
    expect(res.body.error.code).toBe('method_not_allowed');
    await request(h.app).post('/elsewhere').expect(404);
    await expectNothing(h);
  });

  it('runs the limiter first: a refusal stops the report before its body is read', async () => {
    let calls = 0;
    const h = harness({
      limiter: (_req, res, next) => {
        calls += 1;
        if (calls > 1) {
          res.status(429).json({ error: { code: 'rate_limited', message: 'Slow down.' } });
          return;
        }
        next();
      },
    });
    await request(h.app)
      .post(endpoint)
      .set('Content-Type', 'application/csp-report')
      .send(legacyBody())
      .expect(204);
    const res = await request(h.app)
      .post(endpoint)
      .set('Content-Type', 'application/csp-report')
      .send(legacyBody({ 'line-number': 99 }))
      .expect(429);
    expect(res.body.error.code).toBe('rate_limited');
    expect(h.received).toHaveLength(1);
  });

  it('a limiter that calls next(err) hands the error to the app', async () => {
    const { ShieldwallError } = await import('@shieldwall/core');
    const h = harness({
      limiter: (_req, _res, next) => next(new ShieldwallError(429, 'rate_limited', 'Slow down.')),
    });
    const res = await request(h.app)
      .post(endpoint)
      .set('Content-Type', 'application/csp-report')
      .send(legacyBody());
    expect(res.status).toBe(429);
    expect(res.body.error.code).toBe('rate_limited');
    await expectNothing(h);
  });
});

describe('cspReporter: versions', () => {
  it('counts and drops reports below minVersion, and unversioned ones', async () => {
    const h = harness({ version: 5, minVersion: 4 });
    const send = (query: string): request.Test =>
      request(h.app)
        .post(`/api/csp-report-endpoint${query}`)
        .set('Content-Type', 'application/csp-report')
        .send(legacyBody());
    await send('?version=3').expect(204);
    await send('?version=3').expect(204);
    await send('?version=1').expect(204);
    await send('').expect(204);
    await send('?version=abc').expect(204);
    await send('?version=4&version=5').expect(204);
    await send('?version=4').expect(204);
    expect(h.received.map((r) => r.policyVersion)).toEqual([4]);
    const agg = await h.reporter.aggregate();
    expect(agg.droppedByVersion).toEqual([
      { name: 'unversioned', count: 3 },
      { name: '3', count: 2 },
      { name: '1', count: 1 },
    ]);
    expect(agg.byVersion).toEqual([{ name: '4', count: 1 }]);
  });

  it('minVersion defaults to version', async () => {
    const h = harness({ version: 7 });
    await request(h.app)
      .post('/api/csp-report-endpoint?version=6')
      .set('Content-Type', 'application/csp-report')
      .send(legacyBody())
      .expect(204);
    expect(h.received).toEqual([]);
    expect(h.reporter.reporting.uri).toBe('/api/csp-report-endpoint?version=7');
  });
});

describe('cspReporter: noise, dedupe, sampling', () => {
  it.each([
    ['chrome-extension blocked URL', { 'blocked-uri': 'chrome-extension://abc/inject.js' }, 'extension'],
    ['moz-extension source file', { 'source-file': 'moz-extension://abc/x.js' }, 'extension'],
    ['safari-extension', { 'blocked-uri': 'safari-extension://abc' }, 'extension'],
    ['about:blank', { 'blocked-uri': 'about:blank' }, 'about'],
    ['a known injector', { 'blocked-uri': 'https://gc.kis.v2.scr.kaspersky-labs.com/x.js' }, 'injected'],
  ])('drops %s and counts it', async (_name, fields, filter) => {
    const h = harness();
    await request(h.app)
      .post(endpoint)
      .set('Content-Type', 'application/csp-report')
      .send(legacyBody(fields))
      .expect(204);
    expect(h.received).toEqual([]);
    expect((await h.reporter.aggregate()).filtered).toEqual([{ name: filter, count: 1 }]);
  });

  it('keeps data: unless configured, and takes user filters', async () => {
    const dataReport = legacyBody({ 'blocked-uri': 'data' });
    const keep = harness();
    await request(keep.app)
      .post(endpoint)
      .set('Content-Type', 'application/csp-report')
      .send(dataReport)
      .expect(204);
    expect(keep.received).toHaveLength(1);

    const mine: ReportFilter = {
      name: 'analytics',
      matches: (r) => r.blockedUrl.startsWith('https://evil.'),
    };
    const drop = harness({ ignoreDataUris: true, filters: [mine] });
    await request(drop.app)
      .post(endpoint)
      .set('Content-Type', 'application/csp-report')
      .send(dataReport)
      .expect(204);
    await request(drop.app)
      .post(endpoint)
      .set('Content-Type', 'application/csp-report')
      .send(legacyBody())
      .expect(204);
    expect(drop.received).toEqual([]);
    expect((await drop.reporter.aggregate()).filtered).toEqual(
      expect.arrayContaining([
        { name: 'data', count: 1 },
        { name: 'analytics', count: 1 },
      ]),
    );
  });

  it('defaultFilters: false turns the built-in filters off', async () => {
    const h = harness({ defaultFilters: false });
    await request(h.app)
      .post(endpoint)
      .set('Content-Type', 'application/csp-report')
      .send(legacyBody({ 'blocked-uri': 'chrome-extension://abc' }))
      .expect(204);
    expect(h.received).toHaveLength(1);
  });

  it('keeps identical reports once per window (injected clock) and different ones each', async () => {
    const clock = manualClock();
    const { memoryStore } = await import('@shieldwall/core');
    const h = harness({ dedupeWindowMs: 60_000, store: memoryStore({ clock }), clock });
    const send = (body: string): request.Test =>
      request(h.app).post(endpoint).set('Content-Type', 'application/csp-report').send(body).expect(204);
    await send(legacyBody());
    await send(legacyBody());
    await send(legacyBody({ 'line-number': 13 }));
    expect(h.received).toHaveLength(2);
    clock.advance(60_001);
    await send(legacyBody());
    expect(h.received).toHaveLength(3);
  });

  it('dedupes without taking single-use claim slots from the shared store', async () => {
    const { memoryStore } = await import('@shieldwall/core');
    const store = memoryStore({ maxEntries: 5 });
    const h = harness({ store });
    for (let i = 0; i < 20; i++) {
      await request(h.app)
        .post(endpoint)
        .set('Content-Type', 'application/csp-report')
        .send(legacyBody({ 'line-number': i }))
        .expect(204);
    }
    expect(h.received).toHaveLength(20);
    // Every claim slot is still free: a refresh rotation or a replay id can still be recorded.
    for (let i = 0; i < 5; i++) expect(await store.setIfAbsent(`claim:${i}`, '1', 60_000)).toBe(true);
    await store.close();
  });

  it('samples with the injected random source', async () => {
    const values = [0.1, 0.9, 0.2, 0.6];
    const h = harness({ sampleRate: 0.5, random: () => values.shift() ?? 0, dedupeWindowMs: 0 });
    for (let i = 0; i < 4; i++) {
      await request(h.app)
        .post(endpoint)
        .set('Content-Type', 'application/csp-report')
        .send(legacyBody({ 'line-number': i }))
        .expect(204);
    }
    expect(h.received.map((r) => r.line)).toEqual([0, 2]);
  });

  it('reads at most maxReportsPerRequest reports from one batch', async () => {
    const h = harness({ maxReportsPerRequest: 3 });
    await request(h.app)
      .post(endpoint)
      .set('Content-Type', 'application/reports+json')
      .send(reportingBody({}, 10))
      .expect(204);
    expect(h.received).toHaveLength(3);
  });
});

describe('cspReporter: sinks', () => {
  it('logs each accepted report as one line and aggregates counts', async () => {
    const lines: Array<{ message: string; fields?: Record<string, unknown> }> = [];
    const logger = {
      info: (message: string, fields?: Record<string, unknown>) => lines.push({ message, fields }),
      warn: () => undefined,
      error: () => undefined,
    };
    const h = harness({ logger });
    await request(h.app)
      .post(endpoint)
      .set('Content-Type', 'application/csp-report')
      .send(legacyBody())
      .expect(204);
    await request(h.app)
      .post(endpoint)
      .set('Content-Type', 'application/reports+json')
      .send(reportingBody({}, 2))
      .expect(204);
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatchObject({
      message: 'csp_violation',
      fields: { blockedUrl: 'https://evil.example.net/x.js' },
    });
    expect(await h.reporter.topViolations(5)).toEqual([
      { directive: 'script-src-elem', blockedOrigin: 'inline', count: 2 },
      { directive: 'script-src-elem', blockedOrigin: 'https://evil.example.net', count: 1 },
    ]);
    const agg = await h.reporter.aggregate();
    expect(agg.byVersion).toEqual([{ name: '5', count: 3 }]);
    expect(agg.byDirective).toEqual([{ name: 'script-src-elem', count: 3 }]);
  });

  it('a failing callback goes to the error handler as a 500 without details', async () => {
    const h = harness({
      onReport: () => {
        throw new Error('sink down: secret detail');
      },
    });
    const res = await request(h.app)
      .post(endpoint)
      .set('Content-Type', 'application/csp-report')
      .send(legacyBody());
    expect(res.status).toBe(500);
    expect(res.body.error.code).toBe('internal_error');
    expect(res.text).not.toContain('secret');
  });
});

describe('cspReporter: configuration', () => {
  it.each([
    [{ path: 'no-slash' }, /path/],
    [{ path: '/a?version=1' }, /path/],
    [{ group: 'a b' }, /group/],
    [{ version: 0 }, /version/],
    [{ version: 2, minVersion: 3 }, /minVersion/],
    [{ maxBytes: -1 }, /maxBytes/],
    [{ sampleRate: 2 }, /sampleRate/],
    [{ publicOrigin: 'https://a.example/path' }, /publicOrigin/],
    [{ filters: [{ name: 'x' }] }, /filters/],
  ])('throws at start-up for %j', (options, message) => {
    expect(() => cspReporter(options as never)).toThrow(message);
  });

  it('catches app.use(cspReporter)', () => {
    expect(() => cspReporter({ socket: {}, method: 'GET' } as never)).toThrow(/call it first/);
  });

  it('exposes the reporting descriptor and does not mutate options', () => {
    const options = Object.freeze({ version: 3, group: 'csp', publicOrigin: 'https://app.example.com' });
    const reporter = cspReporter(options);
    expect(reporter.reporting).toMatchObject({ path: '/api/csp-report-endpoint', version: 3, group: 'csp' });
    expect(reporter.reporting.endpointUrl()).toBe(
      'https://app.example.com/api/csp-report-endpoint?version=3',
    );
    expect(reporter.reporting.endpointUrl('http://127.0.0.1:8080')).toBe(
      'http://127.0.0.1:8080/api/csp-report-endpoint?version=3',
    );
    expect(cspReporter().reporting.endpointUrl()).toBeUndefined();
    expect(options).toEqual({ version: 3, group: 'csp', publicOrigin: 'https://app.example.com' });
  });
});

describe('cspReporter: behind a body parser that already read the stream', () => {
  it.each([
    ['express.json()', () => express.json({ type: 'application/json' })],
    ['express.text()', () => express.text({ type: 'application/csp-report' })],
    ['express.raw()', () => express.raw({ type: 'application/reports+json' })],
  ])('uses what %s parsed', async (_name, parser) => {
    const received: unknown[] = [];
    const app = express();
    app.use(parser());
    app.use(cspReporter({ version: 5, onReport: (r) => void received.push(r) }));
    await request(app).post(endpoint).set('Content-Type', 'application/json').send(legacyBody()).expect(204);
    await request(app)
      .post(endpoint)
      .set('Content-Type', 'application/csp-report')
      .send(legacyBody({ 'line-number': 1 }))
      .expect(204);
    await request(app)
      .post(endpoint)
      .set('Content-Type', 'application/reports+json')
      .send(reportingBody())
      .expect(204);
    expect(received).toHaveLength(3);
    const bad = await request(app)
      .post(endpoint)
      .set('Content-Type', 'application/json')
      .send('{"x":1}')
      .expect(400);
    expect(bad.body.error.code).toBe('invalid_csp_report');
  });
  it.each([
    ['express.text()', () => express.text({ type: 'application/csp-report', limit: '1mb' })],
    ['express.raw()', () => express.raw({ type: 'application/csp-report', limit: '1mb' })],
  ])('still caps what %s read with a looser limit of its own', async (_name, parser) => {
    const received: unknown[] = [];
    const reporter = cspReporter({ version: 5, maxBytes: 1024, onReport: (r) => void received.push(r) });
    const app = express();
    app.use(parser());
    app.use(reporter);
    const res = await request(app)
      .post(endpoint)
      .set('Content-Type', 'application/csp-report')
      .send(legacyBody({ 'script-sample': 'x'.repeat(4096) }))
      .expect(413);
    expect(res.body.error.code).toBe('payload_too_large');
    expect(received).toEqual([]);
    expect((await reporter.aggregate()).byVersion).toEqual([]);
    // the control: the same parser, a report under the cap
    await request(app)
      .post(endpoint)
      .set('Content-Type', 'application/csp-report')
      .send(legacyBody())
      .expect(204);
    expect(received).toHaveLength(1);
  });
});
