import { startTestApp, type TestApp } from '../helpers/reference-app.js';
import { fastHashing, signUp } from './auth-helpers.js';

describe('reference app: GET /api/referrals', () => {
  let t: TestApp;
  let referrerId: string;
  beforeEach(async () => {
    t = await startTestApp(fastHashing);
    await signUp(t, 'ref@example.com');
    await t.agent
      .post('/api/auth/login')
      .send({ email: 'ref@example.com', password: 'correct horse battery staple' })
      .expect(200);
    referrerId = (await t.services.users.findByEmail('ref@example.com'))!.id;
  });
  afterEach(() => t.close());

  const refer = async (email: string, referredBy = referrerId) =>
    (await t.services.users.create({ email, emailVerified: true, referredBy }))!;

  it('is 401 without a session and shows nobody', async () => {
    await refer('john@example.com');
    const res = await t.request.get('/api/referrals');
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe('unauthenticated');
    expect(res.text).not.toMatch(/john|example/);
  });

  it('lists only the caller referrals, oldest first, e-mails masked, nothing else about them', async () => {
    const john = await refer('john@example.com');
    await refer('a@mail.example.co.uk');
    await refer('жанна@пример.рф');
    await refer('someone.else@example.com', john.id); // referred by John, not by the caller
    const res = await t.agent.get('/api/referrals');
    expect(res.status).toBe(200);
    // Personal data: no shared or browser cache keeps it.
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.body).toEqual({
      referrals: [
        { email: 'j***n@e***.com', joinedAt: expect.any(String) },
        { email: '***@m***.uk', joinedAt: expect.any(String) },
        { email: 'ж***а@п***.рф', joinedAt: expect.any(String) },
      ],
    });
    for (const hidden of ['john', 'example.com', 'someone', john.id, 'emailVerified'])
      expect(res.text).not.toContain(hidden);
  });

  it('is an empty list for a user who referred nobody', async () => {
    await refer('john@example.com', 'another-user');
    const res = await t.agent.get('/api/referrals');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ referrals: [] });
  });
});
