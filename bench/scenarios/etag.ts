import express from 'express';
import type { HttpScenario } from '../types.js';
import { payload } from './baseline.js';

// What Express's default ETag costs on a small JSON body: a SHA-1 of every body it sends, and an `ETag` header,
// for responses no cache can reuse (per-user JSON, `Cache-Control: no-store` pages). The reference app turns it
// off (docs/benchmarks.md, "ETag"); these two measure the difference.
function json(etag: boolean): HttpScenario {
  return {
    kind: 'http',
    name: etag ? 'json-etag' : 'json-no-etag',
    group: 'etag',
    ...(etag ? { baseline: true } : {}),
    description: etag
      ? "Express 5's default: weak ETag (SHA-1) on a small JSON GET"
      : "the same with app.set('etag', false)",
    async createApp() {
      const app = express();
      app.set('etag', etag);
      app.get('/api/me', (_req, res) => {
        res.json(payload);
      });
      return app;
    },
    async prepare() {
      return { method: 'GET', path: '/api/me' };
    },
  };
}

export const scenarios: HttpScenario[] = [json(true), json(false)];
