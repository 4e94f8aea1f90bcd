import express from 'express';
import { errorHandler } from '@shieldwall/core';
import { listen, type RunningServer } from '@shieldwall/test-utils';
import { createAuthFetch } from '../src/client.js';
import { harness, type Harness } from './helpers.js';

/** A fetch with a cookie jar, as a browser would have: Node's fetch keeps no cookies. */
function browserFetch() {
  const jar = new Map<string, string>();
  const calls: string[] = [];
  const impl = async (input: RequestInfo | URL, init: RequestInit = {}) => {
    const url = input instanceof URL ? input.href : (input as string);
    calls.push(`${init.method ?? 'GET'} ${new URL(url).pathname}`);
    const headers = new Headers(init.headers);
    if (jar.size) headers.set('cookie', [...jar].map(([k, v]) => `${k}=${v}`).join('; '));
    const res = await fetch(url, { ...init, headers });
    for (const line of res.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const [name, value] = [pair!.slice(0, pair!.indexOf('=')), pair!.slice(pair!.indexOf('=') + 1)];
      if (value) jar.set(name, value);
      else jar.delete(name);
    }
    return res;
  };
  return { impl, calls, jar };
}

describe('createAuthFetch', () => {
  let h: Harness;
  let server: RunningServer;
  beforeEach(async () => {
    h = harness();
    const app = express();
    app.use(h.app);
    app.use(errorHandler());
    server = await listen(app);
  });
  afterEach(async () => {
    await server.close();
    await h.close();
  });

  it('refreshes once on token_expired and retries', async () => {
    const browser = browserFetch();
    await browser.impl(`${server.url}/api/auth/login/user-1`, { method: 'POST' });
    const authFetch = createAuthFetch(browser.impl);
    h.clock.advance(21 * 60_000);
    browser.calls.length = 0;
    const res = await authFetch(`${server.url}/me`);
    expect(res.status).toBe(200);
    await expect(res.json()).resolves.toEqual({ sub: 'user-1' });
    expect(browser.calls).toEqual(['GET /me', 'POST /api/auth/refresh', 'GET /me']);
  });

  it('shares one refresh between concurrent requests', async () => {
    const browser = browserFetch();
    await browser.impl(`${server.url}/api/auth/login/user-1`, { method: 'POST' });
    const authFetch = createAuthFetch(browser.impl);
    h.clock.advance(21 * 60_000);
    browser.calls.length = 0;
    const results = await Promise.all([authFetch(`${server.url}/me`), authFetch(`${server.url}/me`)]);
    expect(results.map((r) => r.status)).toEqual([200, 200]);
    expect(browser.calls.filter((c) => c.includes('refresh'))).toHaveLength(1);
  });

  it('gives back the 401 when the refresh fails, without looping', async () => {
    const browser = browserFetch();
    await browser.impl(`${server.url}/api/auth/login/user-1`, { method: 'POST' });
    const ended: number[] = [];
    const authFetch = createAuthFetch(browser.impl, { onSessionEnded: (r) => ended.push(r.status) });
    h.clock.advance(73 * 3600_000);
    browser.calls.length = 0;
    const res = await authFetch(`${server.url}/me`);
    expect(res.status).toBe(401);
    expect(browser.calls).toEqual(['GET /me', 'POST /api/auth/refresh']);
    expect(ended).toEqual([401]);
  });

  it('does not refresh on other 401s', async () => {
    const browser = browserFetch();
    const authFetch = createAuthFetch(browser.impl);
    const res = await authFetch(`${server.url}/me`);
    expect(res.status).toBe(401);
    expect(browser.calls).toEqual(['GET /me']);
  });
});
