import { startTestApp, type TestApp } from '../helpers/reference-app.js';

// The wallet routes through the whole reference app with its real guards.

describe('wallet routes in the reference app', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp();
  });
  afterAll(async () => {
    await app.close();
  });

  it.each([
    ['POST', '/api/wallets'],
    ['GET', '/api/wallets'],
    ['POST', '/api/wallets/00000000-0000-4000-8000-000000000000/sign'],
  ])('%s %s without a session is 401 and creates nothing', async (method, path) => {
    const res = await (method === 'GET'
      ? app.request.get(path)
      : app.request.post(path).send({ message: 'x' }));
    expect(res.status).toBe(401);
    expect(res.body.error.code).toMatch(/^(unauthenticated|token_expired)$/);
    expect(await app.services.wallets.listByUser('anyone')).toEqual([]);
    expect([...(await collect(app.services.wallets.scanSealedKeys(undefined)))]).toEqual([]);
  });
});

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}
