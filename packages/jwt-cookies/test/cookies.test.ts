import request from 'supertest';
import { harness, type Harness } from './helpers.js';

describe('jwt-cookies: cookie attributes', () => {
  let h: Harness;
  afterEach(() => h.close());

  const loginLines = async () =>
    (await request(h.app).post('/api/auth/login/user-1').expect(204)).headers[
      'set-cookie'
    ] as unknown as string[];

  it('secure: __Host- access cookie on Path=/, __Secure- refresh cookie on the auth path, HttpOnly, Lax', async () => {
    h = harness({ secure: true });
    const [access, refresh] = await loginLines();
    expect(access).toMatch(
      /^__Host-at=[\w-]+\.[\w-]+\.[\w-]+; Max-Age=1200; Path=\/; HttpOnly; Secure; SameSite=Lax$/,
    );
    expect(refresh).toMatch(
      /^__Secure-rt=[\w.-]+; Max-Age=259200; Path=\/api\/auth; HttpOnly; Secure; SameSite=Lax$/,
    );
    expect(access).not.toMatch(/Domain/i);
  });

  it('development: plain names, no Secure, still HttpOnly and SameSite', async () => {
    h = harness({ secure: false, sameSite: 'strict', refreshPath: '/auth', cookieNames: { access: 'sid' } });
    const [access, refresh] = await loginLines();
    expect(access).toMatch(/^sid=[\w.-]+; Max-Age=1200; Path=\/; HttpOnly; SameSite=Strict$/);
    expect(refresh).toMatch(/^rt=[\w.-]+; Max-Age=259200; Path=\/auth; HttpOnly; SameSite=Strict$/);
  });

  it('reads only the cookie name of its mode: a plain-named cookie does not count in secure mode', async () => {
    h = harness({ secure: true });
    const [access] = await loginLines();
    const token = access!.split(';')[0]!.split('=')[1]!;
    await request(h.app).get('/me').set('Cookie', `__Host-at=${token}`).expect(200);
    const res = await request(h.app).get('/me').set('Cookie', `at=${token}`).expect(401);
    expect(res.body.error.code).toBe('unauthenticated');
  });

  it('marks authenticated answers Cache-Control: no-store, and leaves anonymous ones alone', async () => {
    h = harness();
    const login = await request(h.app).post('/api/auth/login/user-1').expect(204);
    const cookie = (login.headers['set-cookie'] as unknown as string[])
      .map((l) => l.split(';')[0])
      .join('; ');
    const me = await request(h.app).get('/me').set('Cookie', cookie).expect(200);
    expect(me.headers['cache-control']).toBe('no-store');
    const maybe = await request(h.app).get('/maybe').set('Cookie', cookie).expect(200);
    expect(maybe.headers['cache-control']).toBe('no-store');
    const anonymous = await request(h.app).get('/maybe').expect(200);
    expect(anonymous.headers['cache-control']).toBeUndefined();
  });
});
