import request from 'supertest';
import { manualClock, memoryStore } from '@shieldwall/core';
import { jwtCookies } from '../src/index.js';
import { cookieHeader, harness, key1, setCookies, type Harness } from './helpers.js';

const decode = (token: string) =>
  JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()) as Record<string, unknown>;
const login = async (h: Harness, sub: string): Promise<Record<string, string>> =>
  setCookies(await request(h.app).post(`/api/auth/login/${sub}`).expect(204));
const me = (h: Harness, cookies: Record<string, string>) =>
  request(h.app).get('/me').set('Cookie', cookieHeader(cookies));
const refresh = (h: Harness, cookies: Record<string, string>) =>
  request(h.app).post('/api/auth/refresh').set('Cookie', cookieHeader(cookies));

describe('jwt-cookies: revokeUser is complete', () => {
  let h: Harness;
  afterEach(() => h.close());

  it('ends every family of a user, past the 1,000 the index lists', async () => {
    h = harness();
    // 1,005 sign-ins straight through signIn; the response only collects the cookies it is handed.
    const sessions: string[] = [];
    for (let i = 0; i < 1005; i++) {
      const lines: string[] = [];
      const res = { setHeader() {}, append: (_name: string, line: string) => lines.push(line) };
      await h.auth.signIn(res as never, 'many');
      sessions.push(lines.map((line) => line.split(';')[0]).join('; '));
    }
    const other = await login(h, 'someone-else');
    await h.auth.revokeUser('many');
    const family = (cookie: string) => decode(/rt=([^;]+)/.exec(cookie)![1]!).fam as string;
    // The index lists 1,000 families: those past it are still in the store, and must be refused all the same.
    const unlisted: string[] = [];
    for (const cookie of sessions)
      if ((await h.store.get(`jwt:fam:${family(cookie)}`)) !== undefined) unlisted.push(cookie);
    expect(unlisted).toHaveLength(5);
    for (const cookie of [...unlisted, sessions[0]!]) {
      const res = await request(h.app).post('/api/auth/refresh').set('Cookie', cookie).expect(401);
      expect(res.body.error.code).toBe('session_revoked');
    }
    await refresh(h, other).expect(204);
  });

  it('a sign-in in the same millisecond as the revocation starts a live session', async () => {
    h = harness();
    const before = await login(h, 'user-1');
    await h.auth.revokeUser('user-1');
    const after = await login(h, 'user-1'); // the manual clock has not moved
    expect((await refresh(h, before).expect(401)).body.error.code).toBe('session_revoked');
    await refresh(h, after).expect(204);
  });
});

describe('jwt-cookies: sessionCheck (access tokens end with their session)', () => {
  let h: Harness;
  afterEach(() => h.close());

  it('is off by default: an access token outlives logout until it expires', async () => {
    h = harness();
    const cookies = await login(h, 'user-1');
    await request(h.app).post('/api/auth/logout').set('Cookie', cookieHeader(cookies)).expect(204);
    await me(h, cookies).expect(200);
  });

  it('refuses the access token of a logged-out session at once, and clears the cookies', async () => {
    h = harness({ sessionCheck: {} });
    const cookies = await login(h, 'user-1');
    const laptop = await login(h, 'user-1');
    await me(h, cookies).expect(200);
    await request(h.app).post('/api/auth/logout').set('Cookie', cookieHeader(cookies)).expect(204);
    const res = await me(h, cookies).expect(401);
    expect(res.body).toEqual({ error: { code: 'session_revoked', message: expect.any(String) } });
    expect(setCookies(res)).toEqual({ at: '', rt: '' });
    // Only that session: the other one goes on.
    await me(h, laptop).expect(200);
  });

  it('refuses every access token of a user after revokeUser', async () => {
    h = harness({ sessionCheck: {} });
    const phone = await login(h, 'user-1');
    const laptop = await login(h, 'user-1');
    const other = await login(h, 'user-2');
    await me(h, phone).expect(200);
    await h.auth.revokeUser('user-1');
    expect((await me(h, phone).expect(401)).body.error.code).toBe('session_revoked');
    expect((await me(h, laptop).expect(401)).body.error.code).toBe('session_revoked');
    await me(h, other).expect(200);
    await me(h, await login(h, 'user-1')).expect(200);
  });

  it('another instance sees the revocation within cacheMs, and not later', async () => {
    const clock = manualClock(Date.now());
    const store = memoryStore({ clock });
    const one = harness({ sessionCheck: { cacheMs: 2000 } }, { store, clock });
    const two = harness({ sessionCheck: { cacheMs: 2000 } }, { store, clock });
    h = one;
    try {
      const cookies = await login(one, 'user-1');
      await me(two, cookies).expect(200); // cached as live on instance two
      await request(one.app).post('/api/auth/logout').set('Cookie', cookieHeader(cookies)).expect(204);
      await me(one, cookies).expect(401);
      // The documented bound: instance two may still accept it for up to cacheMs.
      clock.advance(1999);
      await me(two, cookies).expect(200);
      clock.advance(1);
      expect((await me(two, cookies).expect(401)).body.error.code).toBe('session_revoked');
    } finally {
      await two.close();
      await store.close();
    }
  });
});

describe('jwt-cookies: sessionCheck options', () => {
  it('refuses bad settings at start-up, naming the option', () => {
    const build = (sessionCheck: unknown) => () =>
      jwtCookies({ keys: [key1], sessionCheck: sessionCheck as never });
    expect(build({ cacheMs: -1 })).toThrow(/sessionCheck\.cacheMs/);
    expect(build({ cacheMs: 1_200_001 })).toThrow(/accessTtlSeconds/);
    expect(build({ maxCached: 0 })).toThrow(/sessionCheck\.maxCached/);
    expect(build('yes')).toThrow(/sessionCheck/);
    expect(build({ cacheMS: 5 })).toThrow(/cacheMs/);
  });
});
