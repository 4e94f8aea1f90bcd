import express, { type Express, type RequestHandler } from 'express';
import { errorHandler, setClientInfo } from '@shieldwall/core';

/**
 * A small app with the limiter in front of `/probe`. With `resolveIpFrom` set, the named header stands in for
 * request-guard: it plays the trusted proxy that resolved the client's IP (so tests can be many clients).
 */
export function probeApp(
  limiters: RequestHandler | RequestHandler[],
  options: { resolveIpFrom?: string; trustProxy?: unknown } = {},
): Express {
  const app = express();
  if (options.trustProxy !== undefined) app.set('trust proxy', options.trustProxy);
  const header = options.resolveIpFrom;
  if (header) {
    app.use((req, _res, next) => {
      const ip = req.headers[header];
      if (typeof ip === 'string') setClientInfo(req, { ip });
      next();
    });
  }
  const chain = Array.isArray(limiters) ? limiters : [limiters];
  app.get('/probe', ...chain, (_req, res) => {
    res.json({ ok: true });
  });
  app.post('/probe', ...chain, (_req, res) => {
    res.json({ ok: true });
  });
  app.use(errorHandler());
  return app;
}
