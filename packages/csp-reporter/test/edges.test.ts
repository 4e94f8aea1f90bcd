import express, { type ErrorRequestHandler, type RequestHandler } from 'express';
import request from 'supertest';
import {
  ShieldwallConfigError,
  ShieldwallError,
  StoreUnavailableError,
  manualClock,
  memoryStore,
  type Store,
} from '@shieldwall/core';
import { listen, recordingStore } from '@shieldwall/test-utils';
import { cspReporter } from '../src/index.js';
import { harness, legacyBody } from './helpers.js';

// The edges of each check: what a header may look like, each cap at its exact size, each option's refusal, the
// limiter's hand-over, and where an outage goes. reporter.test.ts has the everyday behaviour.

const endpoint = '/api/csp-report-endpoint?version=5';
const post = (app: express.Express, type: string, body: string | Buffer = legacyBody()) =>
  request(app).post(endpoint).set('Content-Type', type).send(body);

describe('cspReporter edges: the Content-Type', () => {
  it.each([
    [' application/csp-report ; charset=utf-8'],
    ['APPLICATION/CSP-REPORT'],
    ['application/json; foo=bar'],
    ['application/json; charset="utf-8"'],
    ['application/json; charset=UTF8'],
    ['application/json; foo=bar; charset=utf-8'],
  ])('accepts %j', async (type) => {
    const h = harness();
    await post(h.app, type).expect(204);
    expect(h.received).toHaveLength(1);
  });

  it.each([['application/json; charset=utf-16'], ['application/json; charset=""'], ['application/json+csp']])(
    'refuses %j with the media types it takes, recording nothing',
    async (type) => {
      const h = harness();
      const res = await post(h.app, type).expect(415);
      expect(res.body.error).toEqual({
        code: 'unsupported_media_type',
        message: 'Send CSP reports as application/csp-report, application/reports+json or application/json.',
      });
      expect(h.received).toEqual([]);
    },
  );
});

describe('cspReporter edges: the size cap', () => {
  it('takes a body of exactly maxBytes and refuses one byte more, saying why', async () => {
    const h = harness({ maxBytes: 1024 });
    const exactly = (size: number) => {
      const base = legacyBody({ 'script-sample': '' });
      return legacyBody({ 'script-sample': 'x'.repeat(size - base.length) });
    };
    expect(exactly(1024)).toHaveLength(1024);
    await post(h.app, 'application/csp-report', exactly(1024)).expect(204);
    const res = await post(h.app, 'application/csp-report', exactly(1025)).expect(413);
    expect(res.body.error).toEqual({
      code: 'payload_too_large',
      message: 'The report is over the size limit.',
    });
    expect(h.received).toHaveLength(1);
  });

  it('applies the same exact cap to what a body parser already read', async () => {
    const received: unknown[] = [];
    const app = express();
    app.use(express.raw({ type: 'application/csp-report', limit: '1mb' }));
    app.use(cspReporter({ version: 5, maxBytes: 1024, onReport: (r) => void received.push(r) }));
    const base = legacyBody({ 'script-sample': '' });
    const sized = (size: number) => legacyBody({ 'script-sample': 'x'.repeat(size - base.length) });
    await post(app, 'application/csp-report', sized(1024)).expect(204);
    const res = await post(app, 'application/csp-report', sized(1025)).expect(413);
    expect(res.body.error).toEqual({
      code: 'payload_too_large',
      message: 'The report is over the size limit.',
    });
    expect(received).toHaveLength(1);
  });

  it('refuses what a lenient JSON parser made of a body that is not an object', async () => {
    const received: unknown[] = [];
    const app = express();
    app.use(express.json({ strict: false, type: 'application/json' }));
    app.use(cspReporter({ version: 5, onReport: (r) => void received.push(r) }));
    for (const body of ['null', '5', 'true']) {
      const res = await post(app, 'application/json', body).expect(400);
      expect(res.body.error).toEqual({
        code: 'invalid_csp_report',
        message: 'The body is not a CSP violation report.',
      });
    }
    expect(received).toEqual([]);
  });

  it('says what it refuses when the JSON is not a report', async () => {
    const h = harness();
    const res = await post(h.app, 'application/json', '{"x":1}').expect(400);
    expect(res.body.error).toEqual({
      code: 'invalid_csp_report',
      message: 'The body is not a CSP violation report.',
    });
  });
});

describe('cspReporter edges: the path and the method', () => {
  it('answers on a path of its own, with its query, and passes the rest on', async () => {
    const h = harness({ path: '/reports/csp_v2.json' });
    await request(h.app)
      .post('/reports/csp_v2.json?version=5')
      .set('Content-Type', 'application/csp-report')
      .send(legacyBody())
      .expect(204);
    await request(h.app)
      .post(endpoint)
      .set('Content-Type', 'application/csp-report')
      .send(legacyBody())
      .expect(404);
    expect(h.received).toHaveLength(1);
    expect(h.received[0]!.policyVersion).toBe(5);
  });

  it('says to use POST, with Allow', async () => {
    const h = harness();
    const res = await request(h.app).get(endpoint).expect(405);
    expect(res.headers.allow).toBe('POST');
    expect(res.body.error).toEqual({
      code: 'method_not_allowed',
      message: 'CSP reports are sent with POST.',
    });
  });

  it('works as a plain node:http handler (no Express request), path and version from the raw URL', async () => {
    const received: unknown[] = [];
    const reporter = cspReporter({ version: 5, onReport: (r) => void received.push(r) });
    // A plain request listener: no Express request object (no req.path), the raw URL only.
    const server = await listen((req, res) =>
      reporter(req as never, res as never, () => {
        res.statusCode = 404;
        res.end();
      }),
    );
    try {
      const send = (path: string) =>
        fetch(`${server.url}${path}`, {
          method: 'POST',
          headers: { 'content-type': 'application/csp-report' },
          body: legacyBody(),
        });
      expect((await send(endpoint)).status).toBe(204);
      expect((await send('/api/csp-report-endpoint')).status).toBe(204);
      expect((await send('/other?x=/api/csp-report-endpoint')).status).toBe(404);
      expect(received.map((r) => (r as { policyVersion?: number }).policyVersion)).toEqual([5, undefined]);
    } finally {
      await server.close();
    }
  });
});

describe('cspReporter edges: dedupe and sampling', () => {
  it('keeps an identical report out for the rest of its window, on a store that honours the TTL', async () => {
    const clock = manualClock(Date.UTC(2026, 0, 1));
    const h = harness({ dedupeWindowMs: 60_000, store: memoryStore({ clock }), clock });
    await post(h.app, 'application/csp-report').expect(204);
    clock.advance(45_000);
    await post(h.app, 'application/csp-report').expect(204);
    expect(h.received).toHaveLength(1);
    clock.advance(15_000);
    await post(h.app, 'application/csp-report').expect(204);
    expect(h.received).toHaveLength(2);
  });

  it('keeps a report when random() is below sampleRate, drops it at sampleRate, and never asks at 1', async () => {
    const values = [0.4999, 0.5];
    const h = harness({ sampleRate: 0.5, random: () => values.shift()!, dedupeWindowMs: 0 });
    await post(h.app, 'application/csp-report', legacyBody({ 'line-number': 1 })).expect(204);
    await post(h.app, 'application/csp-report', legacyBody({ 'line-number': 2 })).expect(204);
    expect(h.received.map((r) => r.line)).toEqual([1]);

    let asked = 0;
    const all = harness({ random: () => (asked += 1), dedupeWindowMs: 0 });
    await post(all.app, 'application/csp-report').expect(204);
    expect(all.received).toHaveLength(1);
    expect(asked).toBe(0);
  });
});

describe('cspReporter edges: the store', () => {
  it('keeps every key under csp: in a shared store, and writes no counts with aggregate: false', async () => {
    const store = recordingStore(memoryStore());
    const h = harness({ store });
    await post(h.app, 'application/csp-report').expect(204);
    expect(store.changedKeys().length).toBeGreaterThan(1);
    expect(store.changedKeys().every((key) => key.startsWith('csp:'))).toBe(true);

    const quiet = recordingStore(memoryStore());
    const off = harness({ store: quiet, aggregate: false });
    await post(off.app, 'application/csp-report').expect(204);
    expect(off.received).toHaveLength(1);
    expect(quiet.changedKeys()).toEqual([expect.stringMatching(/^csp:dedupe:/) as string]);
    await store.close();
    await quiet.close();
  });

  /**
   * Posts a report to a reporter with these options in an app whose error handler answers 503 itself; checks that
   * the app's handler answered and returns the codes of the errors handed to it.
   */
  async function handedToApp(options: Parameters<typeof cspReporter>[0]): Promise<string[]> {
    const seen: string[] = [];
    const app = express();
    app.use(cspReporter({ version: 5, ...options }));
    app.use(((error: { code?: string }, _req, res, _next) => {
      seen.push(error.code ?? 'none');
      res.status(503).json({ handledBy: 'app' });
    }) as ErrorRequestHandler);
    const res = await post(app, 'application/csp-report').expect(503);
    expect(res.body).toEqual({ handledBy: 'app' });
    return seen;
  }

  it('hands a store outage to the app (a 5xx is not its to answer), and records nothing', async () => {
    const inner = memoryStore();
    const down: Store = {
      ...inner,
      incrementMember: () => Promise.reject(new StoreUnavailableError('The store is down.')),
    };
    const received: unknown[] = [];
    expect(await handedToApp({ store: down, onReport: (r) => void received.push(r) })).toEqual([
      'store_unavailable',
    ]);
    expect(received).toEqual([]);
    await inner.close();
  });

  it('hands the app a ShieldwallError of status 500 from the callback: only refusals below 500 are answered here', async () => {
    const onReport = () => {
      throw new ShieldwallError(500, 'sink_failed', 'The sink failed.');
    };
    expect(await handedToApp({ onReport })).toEqual(['sink_failed']);
  });
});

describe('cspReporter edges: the limiter hand-over', () => {
  it.each([
    ['next()', undefined],
    ['next(null)', null],
    ["next('route')", 'route'],
    ["next('router')", 'router'],
  ])('reads the report after a limiter that lets it through with %s', async (_name, value) => {
    const h = harness({ limiter: ((_req, _res, next) => next(value)) as RequestHandler });
    await post(h.app, 'application/csp-report').expect(204);
    expect(h.received).toHaveLength(1);
  });

  it('reads nothing after a limiter that answered and still called next()', async () => {
    const h = harness({
      limiter: (_req, res, next) => {
        res.status(429).json({ error: { code: 'rate_limited', message: 'Slow down.' } });
        next();
      },
    });
    const res = await post(h.app, 'application/csp-report').expect(429);
    expect(res.body.error.code).toBe('rate_limited');
    expect(h.received).toEqual([]);
  });
});

describe('cspReporter edges: options', () => {
  const refusal = (options: Record<string, unknown>): Error => {
    try {
      cspReporter(options);
    } catch (error) {
      expect(error).toBeInstanceOf(ShieldwallConfigError);
      return error as Error;
    }
    throw new Error(`accepted ${JSON.stringify(options)}`);
  };

  it.each([
    ['path', { path: 'api/csp' }, 'pass a path such as "/api/csp-report-endpoint" (no query).'],
    ['path', { path: '/csp report' }, 'pass a path such as "/api/csp-report-endpoint" (no query).'],
    ['path', { path: `/${'a'.repeat(201)}` }, 'pass a path such as "/api/csp-report-endpoint" (no query).'],
    ['group', { group: 'a b' }, 'pass a token of letters, digits, "-" and "_".'],
    ['minVersion', { version: 2, minVersion: 3 }, 'it must not exceed `version` (2).'],
    ['minVersion', { minVersion: 0 }, 'positive'],
    ['maxReportsPerRequest', { maxReportsPerRequest: 0 }, 'positive'],
    ['maxUrlLength', { maxUrlLength: 1.5 }, 'positive'],
    ['maxSampleLength', { maxSampleLength: -1 }, 'positive'],
    ['dedupeWindowMs', { dedupeWindowMs: -5 }, 'positive'],
    ['aggregateTtlMs', { aggregateTtlMs: 0 }, 'positive'],
    ['limiter', { limiter: 'rate-limit' }, 'pass a middleware function, e.g. a rate limiter.'],
    ['filters', { filters: [null] }, 'pass objects of the shape { name, matches(report) }.'],
    [
      'filters',
      { filters: [{ matches: () => false }] },
      'pass objects of the shape { name, matches(report) }.',
    ],
  ])('refuses a bad %s at start-up, naming it and the fix', (name, options, fix) => {
    const message = refusal(options).message;
    expect(message).toContain(`option \`${name}\``);
    expect(message).toContain(fix);
  });

  it('accepts a path of 200 characters after the slash and the documented defaults', () => {
    expect(cspReporter({ path: `/${'a'.repeat(200)}` }).reporting.path).toBe(`/${'a'.repeat(200)}`);
    expect(cspReporter().reporting).toMatchObject({
      path: '/api/csp-report-endpoint',
      group: 'csp-endpoint',
      version: 1,
    });
  });

  it.each([
    ['endpoint', 'path'],
    ['reportUri', 'path'],
    ['limit', 'maxBytes'],
    ['sample', 'sampleRate'],
  ])('answers %s, a name from other libraries, with ours', (foreign, ours) => {
    expect(() => cspReporter({ [foreign]: 1 })).toThrow(
      `@shieldwall/csp-reporter: cspReporter() has no option \`${foreign}\`; did you mean \`${ours}\`?`,
    );
  });
});
