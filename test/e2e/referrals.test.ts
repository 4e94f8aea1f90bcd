import { startTestApp, type TestApp } from '../helpers/reference-app.js';

describe('GET /api/referrals', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp();
  });
  afterAll(async () => {
    await app.close();
  });

  it('is 401 without a session and lists nothing', async () => {
    const referrer = (await app.services.users.create({ email: 'ref@example.com', emailVerified: true }))!;
    await app.services.users.create({
      email: 'john@example.com',
      emailVerified: true,
      referredBy: referrer.id,
    });
    const res = await app.request.get('/api/referrals');
    expect(res.status).toBe(401);
    expect(res.body.error.code).toMatch(/^(unauthenticated|token_expired)$/);
    expect(res.text).not.toContain('john');
  });
});
