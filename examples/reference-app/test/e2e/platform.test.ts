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

  it('GET /healthz stays liveness only: 200 with the store down', async () => {
    const healthy = memoryStore();
    const down: Store = { ...healthy, ping: () => Promise.reject(new StoreUnavailableError('down')) };
    t = await startTestApp({}, { store: down });
    const res = await t.request.get('/healthz').expect(200);
    expect(res.body).toEqual({ status: 'ok' });
    await healthy.close();
  });

  it('GET /readyz answers 200 when the database and the store answer', async () => {
    t = await startTestApp();
    const res = await t.request.get('/readyz').expect(200);
    expect(res.body).toEqual({ status: 'ready', database: 'up', store: 'up' });
    expect(res.headers['cache-control']).toBe('no-store');
  });

  it('GET /readyz answers 503 store_unavailable naming the store when it is down', async () => {
    const healthy = memoryStore();
    const down: Store = { ...healthy, ping: () => Promise.reject(new StoreUnavailableError('down')) };
    t = await startTestApp({}, { store: down });
    const res = await t.request.get('/readyz').expect(503);
    expect(res.body.error).toMatchObject({ code: 'store_unavailable', database: 'up', store: 'down' });
    await healthy.close();
  });

  it('GET /readyz answers 503 store_unavailable naming the database when it is closed', async () => {
    t = await startTestApp();
    await t.services.database.close();
    const res = await t.request.get('/readyz').expect(503);
    expect(res.body.error).toMatchObject({ code: 'store_unavailable', database: 'down', store: 'up' });
    expect(res.body.error.message).toBe('The database does not answer.');
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
