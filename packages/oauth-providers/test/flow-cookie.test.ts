import { createHmac, createSecretKey, randomBytes } from 'node:crypto';
import { IncomingMessage, ServerResponse } from 'node:http';
import { Socket } from 'node:net';
import { manualClock, memoryStore, type ManualClock, type Store } from '@shieldwall/core';
import { recordingStore } from '@shieldwall/test-utils';
import { flowCookies, readCookie, type FlowCookies } from '../src/flow-cookie.js';

// The flow cookie on its own, with real node:http requests and responses: its attributes, what it refuses (each
// check of a cookie whose MAC is right, since only such a cookie reaches them), its expiry and its single use.
// oauth-flow.test.ts and oidc.test.ts walk it inside whole sign-ins.

const secret = randomBytes(32);
const ttlMs = 600_500;
const start = Date.UTC(2026, 0, 1);

let clock: ManualClock;
let store: ReturnType<typeof recordingStore<Store>>;
let cookies: FlowCookies;
const make = (secure: boolean) => flowCookies({ key: createSecretKey(secret), secure, ttlMs, clock, store });
beforeEach(() => {
  clock = manualClock(start);
  store = recordingStore(memoryStore({ clock }));
  cookies = make(false);
});
afterEach(() => store.close());

const response = (): ServerResponse => new ServerResponse(new IncomingMessage(new Socket()));
const request = (cookie?: string): IncomingMessage => {
  const req = new IncomingMessage(new Socket());
  if (cookie !== undefined) req.headers.cookie = cookie;
  return req;
};
const setCookies = (res: ServerResponse): string[] => {
  const value = res.getHeader('Set-Cookie');
  return Array.isArray(value) ? value : value === undefined ? [] : [String(value)];
};
/** `name=value` of the flow cookie a response set. */
const flowCookieOf = (res: ServerResponse): string => setCookies(res).at(-1)!.split(';')[0]!;

/** A cookie signed with the right key in the documented format, whatever its payload says. */
function signed(name: string, payload: unknown, version = 'v1'): string {
  const encoded = Buffer.from(typeof payload === 'string' ? payload : JSON.stringify(payload)).toString(
    'base64url',
  );
  const mac = createHmac('sha256', secret).update(`v1.${name}.${encoded}`).digest('base64url');
  return `${name}=${version}.${encoded}.${mac}`;
}

const flow = (overrides: Record<string, unknown> = {}) => ({
  provider: 'google',
  state: 'state-1',
  verifier: 'verifier-1',
  nonce: 'nonce-1',
  expiresAt: start + 60_000,
  ...overrides,
});

describe('oauth flow cookie: setting it', () => {
  it('sets a host-only, HttpOnly, Lax cookie that lives the flow time, Secure and __Host- in secure mode', () => {
    const plain = response();
    cookies.start(plain, 'google', 'v');
    expect(setCookies(plain)).toHaveLength(1);
    expect(setCookies(plain)[0]).toMatch(
      /^sw-oauth-google=v1\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{43}; Path=\/; HttpOnly; SameSite=Lax; Max-Age=601$/,
    );
    const secure = response();
    make(true).start(secure, 'google', 'v');
    expect(setCookies(secure)[0]).toMatch(
      /^__Host-sw-oauth-google=v1\.[^;]+; Path=\/; HttpOnly; SameSite=Lax; Secure; Max-Age=601$/,
    );
    const cleared = response();
    make(true).clear(cleared, 'google');
    expect(setCookies(cleared)).toEqual([
      '__Host-sw-oauth-google=; Path=/; HttpOnly; SameSite=Lax; Secure; Max-Age=0',
    ]);
  });

  it('keeps the cookies the response already sets, one or several', () => {
    const one = response();
    one.setHeader('Set-Cookie', 'a=1');
    cookies.start(one, 'google', 'v');
    expect(setCookies(one)[0]).toBe('a=1');
    expect(setCookies(one)).toHaveLength(2);
    const two = response();
    two.setHeader('Set-Cookie', ['a=1', 'b=2']);
    cookies.clear(two, 'github');
    expect(setCookies(two)).toEqual([
      'a=1',
      'b=2',
      'sw-oauth-github=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0',
    ]);
  });
});

describe('oauth flow cookie: consuming it', () => {
  it('gives back the flow once, with an empty nonce when the flow had none', async () => {
    const res = response();
    const state = cookies.start(res, 'github', 'verifier-9');
    const flowCookie = flowCookieOf(res);
    const consumed = await cookies.consume(request(flowCookie), response(), 'github', state);
    expect(consumed).toEqual({
      provider: 'github',
      state,
      verifier: 'verifier-9',
      nonce: '',
      expiresAt: start + ttlMs,
    });
    expect(await cookies.consume(request(flowCookie), response(), 'github', state)).toBeUndefined();
  });

  it('binds the flow by the cookie alone when the provider echoes no state (Telegram), still once', async () => {
    const res = response();
    cookies.start(res, 'telegram', '');
    const flowCookie = flowCookieOf(res);
    expect(await cookies.consume(request(flowCookie), response(), 'telegram', undefined)).toMatchObject({
      provider: 'telegram',
    });
    expect(await cookies.consume(request(flowCookie), response(), 'telegram', undefined)).toBeUndefined();
  });

  it('clears the cookie on every callback, good or bad', async () => {
    const res = response();
    await cookies.consume(request(), res, 'google', 'x');
    expect(setCookies(res)).toEqual(['sw-oauth-google=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0']);
  });

  it.each([
    ['another version', signed('sw-oauth-google', flow(), 'v2')],
    ['an extra segment', `${signed('sw-oauth-google', flow())}.x`],
    ['a payload that is not JSON', signed('sw-oauth-google', 'not json')],
    ['no provider', signed('sw-oauth-google', flow({ provider: undefined }))],
    ['no state', signed('sw-oauth-google', flow({ state: 7 }))],
    ['no verifier', signed('sw-oauth-google', flow({ verifier: null }))],
    [
      'an expiry that is not a number',
      signed('sw-oauth-google', flow({ expiresAt: String(start + 60_000) })),
    ],
    ['a nonce that is not a string', signed('sw-oauth-google', flow({ nonce: 5 }))],
    ['another provider inside', signed('sw-oauth-google', flow({ provider: 'github' }))],
  ])('refuses a correctly signed cookie with %s, and records nothing', async (_name, cookie) => {
    const before = store.changes.length;
    expect(await cookies.consume(request(cookie), response(), 'google', 'state-1')).toBeUndefined();
    expect(store.changes.length).toBe(before);
  });

  it('accepts the same cookie signed by hand (so the refusals above are about their content)', async () => {
    expect(
      await cookies.consume(request(signed('sw-oauth-google', flow())), response(), 'google', 'state-1'),
    ).toEqual(flow());
    const noNonce = signed('sw-oauth-google', flow({ state: 'state-2', nonce: undefined }));
    expect(await cookies.consume(request(noNonce), response(), 'google', 'state-2')).toMatchObject({
      nonce: '',
    });
  });

  it('refuses at its expiry to the millisecond, and accepts a millisecond before', async () => {
    const late = signed('sw-oauth-google', flow({ state: 'late' }));
    clock.set(start + 60_000);
    expect(await cookies.consume(request(late), response(), 'google', 'late')).toBeUndefined();
    clock.set(start + 59_999);
    expect(await cookies.consume(request(late), response(), 'google', 'late')).toMatchObject({
      state: 'late',
    });
  });

  it('remembers a used state until the flow expires, and no longer', async () => {
    const cookie = signed('sw-oauth-google', flow());
    expect(await cookies.consume(request(cookie), response(), 'google', 'state-1')).toBeDefined();
    const [used] = store.changedKeys(/used:/);
    clock.advance(59_000);
    expect(await cookies.consume(request(cookie), response(), 'google', 'state-1')).toBeUndefined();
    expect(await store.get(used!)).toBeDefined();
    clock.advance(1_000);
    expect(await store.get(used!)).toBeUndefined();
  });
});

describe('oauth flow cookie: reading the Cookie header', () => {
  it('finds the named cookie among others, whatever the spacing, skipping parts without a value', () => {
    expect(readCookie('a=1; sw-oauth-google=v1.p.m', 'sw-oauth-google')).toBe('v1.p.m');
    expect(readCookie('a=1 ;  sw-oauth-google=v1.p.m ; b=2', 'sw-oauth-google')).toBe('v1.p.m');
    expect(readCookie('sw-oauth-googleX; sw-oauth-google=v1.p.m', 'sw-oauth-google')).toBe('v1.p.m');
    expect(readCookie('x=1; sw-oauth-google=first; sw-oauth-google=second', 'sw-oauth-google')).toBe('first');
    expect(readCookie('a=1; b=2', 'sw-oauth-google')).toBeUndefined();
    expect(readCookie(undefined, 'sw-oauth-google')).toBeUndefined();
  });
});
