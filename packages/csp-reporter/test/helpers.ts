import express, { type Express } from 'express';
import { errorHandler, memoryStore, type Store } from '@shieldwall/core';
import { cspReporter, type CspReport, type CspReporter, type CspReporterOptions } from '../src/index.js';

export interface Harness {
  app: Express;
  reporter: CspReporter;
  received: CspReport[];
  store: Store;
}

/** An app with only the reporter and the error handler, recording accepted reports. */
export function harness(options: CspReporterOptions = {}): Harness {
  const received: CspReport[] = [];
  const store = options.store ?? memoryStore();
  const reporter = cspReporter({
    version: 5,
    onReport: (report) => {
      received.push(report);
    },
    ...options,
    store,
  });
  const app = express();
  app.use(reporter);
  app.use(errorHandler());
  return { app, reporter, received, store };
}

export const legacyBody = (overrides: Record<string, unknown> = {}): string =>
  JSON.stringify({
    'csp-report': {
      'document-uri': 'https://app.example.com/account?reset=secret-token#frag',
      referrer: '',
      'blocked-uri': 'https://evil.example.net/x.js?a=1',
      'effective-directive': 'script-src-elem',
      'violated-directive': 'script-src-elem',
      'original-policy': "script-src 'self'",
      disposition: 'enforce',
      'status-code': 200,
      'script-sample': '',
      'source-file': 'https://app.example.com/app.js',
      'line-number': 12,
      'column-number': 7,
      ...overrides,
    },
  });

export const reportingBody = (overrides: Record<string, unknown> = {}, count = 1): string =>
  JSON.stringify(
    Array.from({ length: count }, (_, i) => ({
      age: 10,
      type: 'csp-violation',
      url: 'https://app.example.com/',
      user_agent: 'Mozilla/5.0 Test',
      body: {
        documentURL: 'https://app.example.com/',
        referrer: '',
        blockedURL: 'inline',
        effectiveDirective: 'script-src-elem',
        originalPolicy: "script-src 'self' 'report-sample'",
        sourceFile: 'https://app.example.com/',
        sample: `alert(${i})`,
        disposition: 'enforce',
        statusCode: 200,
        lineNumber: 3 + i,
        columnNumber: 1,
        ...overrides,
      },
    })),
  );
