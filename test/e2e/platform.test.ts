import { startTestApp, type TestApp } from '../helpers/reference-app.js';
import type { Store } from '@shieldwall/core';
import { memoryStore, StoreUnavailableError } from '@shieldwall/core';

describe('reference app: platform routes', () => {
  let t: TestApp;
  afterEach(async () => {
    await t.close();
  });

  it('GET /healthz answers ok', async () => {
    t = await startTestApp();
    const res = await t.request.get('/healthz').expect(200);
    expect(res.body).toEqual({ status: 'ok' });
  });

  it('GET /healthz reports a store that is down', async () => {
    const healthy = memoryStore();
    const down: Store = { ...healthy, ping: () => Promise.reject(new StoreUnavailableError('down')) };
    t = await startTestApp({}, { store: down });
    const res = await t.request.get('/healthz').expect(503);
    expect(res.body.error.code).toBe('store_unavailable');
    expect(res.body.error.store).toBe('down');
    await healthy.close();
  });

  it('answers unknown routes with a 404 envelope that echoes nothing', async () => {
    t = await startTestApp();
    const res = await t.request.get('/no/such/<script>alert(1)</script>').expect(404);
    expect(res.headers['content-type']).toMatch(/application\/json/);
    expect(res.body).toEqual({ error: { code: 'not_found', message: 'No route matches this request.' } });
    expect(res.text).not.toContain('script');
  });

  it('answers the favicon request with 204 rather than a 404 envelope', async () => {
    t = await startTestApp();
    const res = await t.request.get('/favicon.ico').expect(204);
    expect(res.text).toBe('');
  });

  it('serves the HTML page', async () => {
    t = await startTestApp();
    const res = await t.request.get('/').expect(200);
    expect(res.headers['content-type']).toMatch(/text\/html/);
    expect(res.text).toContain('<h1>Shieldwall reference app</h1>');
  });
});
