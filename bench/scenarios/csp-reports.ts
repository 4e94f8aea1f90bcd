import express from 'express';
import { memoryStore, setClientInfo } from '@shieldwall/core';
import { cspReporter } from '@shieldwall/csp-reporter';
import type { BenchRequest, HttpScenario } from '../types.js';

// Accepted CSP reports per second. Every request of `csp-reports-distinct` differs (line number, sample and client
// IP), so none is deduped: each one is read with the cap, parsed, normalised, checked, deduped through the store
// (setIfAbsent) and counted in the aggregate (four incrementMember). `csp-reports-duplicate` sends one report
// over and over from one client, so after the first it measures the dedupe path. The baseline is the usual
// unhardened endpoint: express.json for the report types and a 204.
const path = '/api/csp-report-endpoint';
const clients = 10_000;

function withBenchIp(app: express.Express): void {
  app.use((req, _res, next) => {
    const ip = req.headers['x-bench-ip'];
    if (typeof ip === 'string') setClientInfo(req, { ip });
    next();
  });
}

function report(line: number): string {
  return JSON.stringify({
    'csp-report': {
      'document-uri': 'https://app.example.com/account',
      referrer: '',
      'blocked-uri': 'inline',
      'effective-directive': 'script-src-elem',
      'violated-directive': 'script-src-elem',
      'original-policy': "default-src 'self'; report-uri /api/csp-report-endpoint?version=5",
      disposition: 'enforce',
      'status-code': 200,
      'script-sample': `window.injected(${line})`,
      'source-file': 'https://app.example.com/account',
      'line-number': line,
      'column-number': 1,
    },
  });
}

function distinct(): Promise<() => BenchRequest> {
  let counter = 0;
  return Promise.resolve(() => {
    counter += 1;
    const n = Math.floor(Math.random() * clients);
    return {
      method: 'POST',
      path: `${path}?version=5`,
      headers: {
        'content-type': 'application/csp-report',
        'x-bench-ip': `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`,
      },
      body: report(counter),
    };
  });
}

async function reporterApp(): Promise<express.Express> {
  const app = express();
  withBenchIp(app);
  app.use(cspReporter({ version: 5, store: memoryStore({ maxEntries: 200_000 }) }));
  return app;
}

export const scenarios: HttpScenario[] = [
  {
    kind: 'http',
    name: 'csp-reports-naive',
    group: 'csp-reports',
    baseline: true,
    description:
      'express.json for the report media types and a 204: no caps beyond 100 KB, no checks, no state',
    async createApp() {
      const app = express();
      app.post(
        path,
        express.json({ type: ['application/csp-report', 'application/reports+json'] }),
        (_req, res) => {
          res.status(204).end();
        },
      );
      return app;
    },
    prepare: distinct,
  },
  {
    kind: 'http',
    name: 'csp-reports-distinct',
    group: 'csp-reports',
    description:
      '@shieldwall/csp-reporter, every report distinct (accepted, deduped via the store, aggregated)',
    createApp: reporterApp,
    prepare: distinct,
  },
  {
    kind: 'http',
    name: 'csp-reports-duplicate',
    group: 'csp-reports',
    description: '@shieldwall/csp-reporter, one identical report repeated (the dedupe path after the first)',
    createApp: reporterApp,
    prepare: () =>
      Promise.resolve({
        method: 'POST',
        path: `${path}?version=5`,
        headers: { 'content-type': 'application/csp-report', 'x-bench-ip': '10.0.0.1' },
        body: report(1),
      }),
  },
];
