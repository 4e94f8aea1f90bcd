import { sendError } from '@shieldwall/core';
import type { Feature } from './feature.js';

/** How long /readyz waits for each dependency before calling it down. */
const readinessTimeoutMs = 2000;

async function answers(check: () => Promise<unknown>): Promise<'up' | 'down'> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'down'>((resolve) => {
    timer = setTimeout(() => resolve('down'), readinessTimeoutMs);
    timer.unref();
  });
  try {
    return await Promise.race([check().then(() => 'up' as const), late]);
  } catch {
    return 'down';
  } finally {
    clearTimeout(timer);
  }
}

/**
 * `GET /healthz`: liveness, 200 `{"status":"ok"}` while the process serves (a restart would not bring a database
 * back, so it checks nothing else). `GET /readyz`: readiness, 200 when the database and the state store answer,
 * else 503 `store_unavailable` naming what is down, so a load balancer stops sending traffic until they return.
 */
export const mountPlatform: Feature = async (app, services) => {
  app.get('/healthz', (_req, res) => {
    res.setHeader('Cache-Control', 'no-store');
    res.json({ status: 'ok' });
  });

  app.get('/readyz', async (_req, res) => {
    const [database, store] = await Promise.all([
      answers(() => services.database.ping()),
      answers(() => services.store.ping()),
    ]);
    res.setHeader('Cache-Control', 'no-store');
    if (database === 'up' && store === 'up') {
      res.json({ status: 'ready', database, store });
      return;
    }
    const down = [database === 'down' ? 'database' : '', store === 'down' ? 'state store' : '']
      .filter(Boolean)
      .join(' and ');
    sendError(res, 503, 'store_unavailable', `The ${down} does not answer.`, {
      status: 'degraded',
      database,
      store,
    });
  });
};
