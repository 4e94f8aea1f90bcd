import { sendError } from '@shieldwall/core';
import type { Feature } from './feature.js';

/** `GET /healthz`: 200 `{"status":"ok"}`, or 503 naming the store when it does not answer. */
export const mountPlatform: Feature = async (app, services) => {
  app.get('/healthz', async (_req, res) => {
    try {
      await services.store.ping();
      res.setHeader('Cache-Control', 'no-store');
      res.json({ status: 'ok' });
    } catch {
      sendError(res, 503, 'store_unavailable', 'The state store does not answer.', {
        status: 'degraded',
        store: 'down',
      });
    }
  });
};
