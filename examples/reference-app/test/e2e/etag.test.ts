import { startTestApp, type TestApp } from '../helpers/reference-app.js';
import { keyExchangeClientPath } from '../../src/features/key-exchange.js';

describe('reference app: ETag only where a cache can reuse the response', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(async () => {
    await t?.close();
  });

  it('sends no ETag on JSON answers or the no-store page', async () => {
    const health = await t.request.get('/healthz').expect(200);
    expect(health.headers.etag).toBeUndefined();
    const missing = await t.request.get('/api/nothing-here').expect(404);
    expect(missing.headers.etag).toBeUndefined();
    const page = await t.request.get('/').expect(200);
    expect(page.headers['cache-control']).toBe('no-store');
    expect(page.headers.etag).toBeUndefined();
  });

  it('revalidates the key-exchange client script with its ETag: 304 without the body', async () => {
    const first = await t.request.get(keyExchangeClientPath).expect(200);
    const etag = first.headers.etag as string;
    expect(etag).toMatch(/^"[A-Za-z0-9_-]{43}"$/);
    const again = await t.request.get(keyExchangeClientPath).set('If-None-Match', etag).expect(304);
    expect(again.text ?? '').toBe('');
    const changed = await t.request.get(keyExchangeClientPath).set('If-None-Match', '"other"').expect(200);
    expect(changed.text).toBe(first.text);
  });
});
