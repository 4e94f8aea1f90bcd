import { cspReporterFor } from '../../src/features/csp-reports.js';
import { placeholderGuards } from '../../src/guards.js';
import { memoryStore } from '@shieldwall/core';
import { startTestApp, type TestApp } from '../helpers/reference-app.js';
import { cookieHeader, fastHashing, goodPassword, setCookies, signUp } from './auth-helpers.js';
import { openWebChannel } from './key-exchange-helpers.js';

const legacy = JSON.stringify({
  'csp-report': {
    'document-uri': 'http://localhost:3000/?token=secret',
    'blocked-uri': 'inline',
    'effective-directive': 'script-src-elem',
    'violated-directive': 'script-src-elem',
    'original-policy': "default-src 'self'",
    disposition: 'enforce',
    'status-code': 200,
    'script-sample': 'alert(1)',
    'source-file': 'http://localhost:3000/',
    'line-number': 14,
    'column-number': 3,
  },
});

const reportingApi = JSON.stringify([
  {
    age: 3,
    type: 'csp-violation',
    url: 'http://localhost:3000/',
    user_agent: 'Mozilla/5.0 (e2e)',
    body: {
      documentURL: 'http://localhost:3000/',
      blockedURL: 'https://tracker.example.net/pixel.js',
      effectiveDirective: 'script-src-elem',
      originalPolicy: "default-src 'self'",
      disposition: 'enforce',
      statusCode: 200,
      sourceFile: 'http://localhost:3000/',
      lineNumber: 20,
      columnNumber: 1,
    },
  },
]);

const violations = (t: TestApp) => t.logger.lines.filter((line) => line.message === 'csp_violation');

describe('reference app: CSP report endpoint', () => {
  let t: TestApp;
  beforeEach(async () => {
    t = await startTestApp({ CSP_VERSION: '4' });
  });
  afterEach(async () => {
    await t.close();
  });

  const aggregate = () => cspReporterFor(t.services, placeholderGuards()).aggregate();

  it('accepts both formats with 204 and logs each as one normalised JSON line', async () => {
    const a = await t.request
      .post('/api/csp-report-endpoint?version=4')
      .set('Content-Type', 'application/csp-report')
      .send(legacy)
      .expect(204);
    expect(a.text).toBe('');
    await t.request
      .post('/api/csp-report-endpoint?version=4')
      .set('Content-Type', 'application/reports+json')
      .send(reportingApi)
      .expect(204);
    const lines = violations(t);
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatchObject({
      level: 'info',
      documentUrl: 'http://localhost:3000/',
      blockedUrl: 'inline',
      effectiveDirective: 'script-src-elem',
      sample: 'alert(1)',
      policyVersion: 4,
      format: 'csp-report',
    });
    expect(JSON.stringify(lines[0])).not.toContain('secret');
    expect(lines[1]).toMatchObject({
      blockedUrl: 'https://tracker.example.net/pixel.js',
      userAgent: 'Mozilla/5.0 (e2e)',
    });
    const agg = await aggregate();
    expect(agg.byVersion).toEqual([{ name: '4', count: 2 }]);
    expect(agg.topViolations).toHaveLength(2);
  });

  it('counts and drops reports from an older policy version', async () => {
    await t.request
      .post('/api/csp-report-endpoint?version=3')
      .set('Content-Type', 'application/csp-report')
      .send(legacy)
      .expect(204);
    expect(violations(t)).toEqual([]);
    const agg = await aggregate();
    expect(agg.droppedByVersion).toEqual([{ name: '3', count: 1 }]);
    expect(agg.byVersion).toEqual([]);
  });

  it.each([
    ['415 for another media type', 'text/plain', legacy, 415, 'unsupported_media_type'],
    ['400 for malformed JSON', 'application/csp-report', '{"csp-report":', 400, 'invalid_json'],
    ['400 for a body of neither shape', 'application/json', '{"hello":"world"}', 400, 'invalid_csp_report'],
    ['413 over 64 KB', 'application/csp-report', 'x'.repeat(65 * 1024), 413, 'payload_too_large'],
  ])('%s, with nothing recorded', async (_name, type, body, status, code) => {
    const res = await t.request
      .post('/api/csp-report-endpoint?version=4')
      .set('Content-Type', type)
      .send(body)
      .expect(status);
    expect(res.body.error.code).toBe(code);
    expect(res.text).not.toContain('csp-report"');
    expect(violations(t)).toEqual([]);
    const agg = await aggregate();
    expect(agg.byVersion).toEqual([]);
    expect(agg.droppedByVersion).toEqual([]);
  });
});

describe('reference app: a CSP report flood does not starve single-use claims', () => {
  it('after 60 distinct reports on a store with 40 claim slots, refresh and the channel still work', async () => {
    const store = memoryStore({ maxEntries: 40 });
    const t = await startTestApp({ ...fastHashing, CSP_VERSION: '4' }, { store });
    try {
      await signUp(t, 'flood@example.com');
      const login = await t.request
        .post('/api/auth/login')
        .send({ email: 'flood@example.com', password: goodPassword })
        .expect(200);
      const channel = await openWebChannel(t, cookieHeader(setCookies(login)));
      try {
        for (let i = 0; i < 60; i++) {
          const report = JSON.parse(legacy) as { 'csp-report': Record<string, unknown> };
          report['csp-report']['line-number'] = i;
          await t.request
            .post('/api/csp-report-endpoint?version=4')
            .set('Content-Type', 'application/csp-report')
            .send(JSON.stringify(report))
            .expect(204);
        }
        const refreshed = await t.request
          .post('/api/auth/refresh')
          .set('Cookie', cookieHeader(setCookies(login)))
          .expect(204);
        expect(setCookies(refreshed)).toHaveProperty('at');
        const opened = channel.client.channel;
        const echoed = await channel.client.fetch('/api/security/echo', {
          method: 'POST',
          body: { still: 'open' },
        });
        expect(echoed.status).toBe(200);
        // The same channel answered: the client did not have to open a new one.
        expect(channel.client.channel).toBe(opened);
        // And no report was taken for a duplicate because the store was full.
        expect(violations(t)).toHaveLength(60);
      } finally {
        await channel.close();
      }
    } finally {
      await t.close();
      await store.close();
    }
  });
});
