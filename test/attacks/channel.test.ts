import { createKeyExchangeClient, type KeyExchangeClient } from '@shieldwall/key-exchange/client';
import { listen, type RunningServer } from '@shieldwall/test-utils';
import { cookieHeader, expectNothingChanged, freshIp, modes, startTarget, type Target } from './harness.js';

// Threats: "TLS-terminating intermediary", "Replayer", "Cross-site attacker" (CSRF), "Response tamperer" and the
// wallets' "Database thief"'s neighbour, another signed-in user (docs/threat-model.md, and the protocol's own
// threat model in docs/protocols/key-exchange.md, section 10). The channel is opened over real HTTP by the Node
// client, as docs/protocols/key-exchange.md describes it; the attacker sees (and replays or alters) what goes on
// the wire, never the channel key.

interface Sent {
  url: string;
  method: string;
  headers: Record<string, string>;
  body?: string;
}

interface Opened {
  client: KeyExchangeClient;
  csrfToken: string;
  session: string;
  /** Every request the client sent, as it went on the wire, and the status it got (0: held back). */
  sent: Sent[];
  statuses: number[];
  /** Seals a request as the client would and keeps it off the wire: an envelope nobody has used yet. */
  capture(path: string, body: unknown): Promise<Sent>;
}

describe.each(modes)('attacks on the encrypted channel and the wallets (%s)', (mode) => {
  let a: Target;
  let server: RunningServer;
  let alice: Record<string, string>;
  let bob: Record<string, string>;
  beforeAll(async () => {
    a = await startTarget(mode);
    server = await listen(a.t.app);
    await a.account('alice@example.com');
    await a.account('bob@example.com');
    alice = await a.signIn('alice@example.com');
    bob = await a.signIn('bob@example.com');
  });
  afterAll(async () => {
    await server.close();
    await a.close();
  });

  // What the TLS proxy adds in production; every request of a client comes from its own IP.
  const proxied = (ip: string): Record<string, string> =>
    a.production ? { 'x-forwarded-proto': 'https', 'x-forwarded-for': ip } : { 'x-forwarded-for': ip };
  const wire = (init: { method?: string; headers?: Record<string, string>; body?: string }, ip: string) => ({
    method: init.method ?? 'GET',
    headers: { ...(init.headers ?? {}), ...proxied(ip) },
    ...(init.body !== undefined ? { body: init.body } : {}),
  });

  /** Loads the home page for its CSRF token and session cookie, then opens a channel with the client. */
  async function open(cookies: Record<string, string>): Promise<Opened> {
    const ip = freshIp();
    const page = await fetch(`${server.url}/`, wire({ headers: { cookie: cookieHeader(cookies) } }, ip));
    const csrfToken = /<meta name="csrf-token" content="([^"]+)">/.exec(await page.text())?.[1];
    if (!csrfToken) throw new Error('no CSRF token on the page');
    const session = page.headers
      .getSetCookie()
      .map((c) => c.split(';')[0]!)
      .join('; ');
    const sent: Sent[] = [];
    const statuses: number[] = [];
    let hold = false;
    const recording: typeof fetch = async (input, init) => {
      const headers = Object.fromEntries(new Headers(init?.headers).entries());
      sent.push({
        url: input instanceof Request ? input.url : input.toString(),
        method: init?.method ?? 'GET',
        headers,
        ...(typeof init?.body === 'string' ? { body: init.body } : {}),
      });
      if (hold) {
        statuses.push(0);
        return Response.json({ error: { code: 'held', message: 'kept off the wire' } }, { status: 503 });
      }
      const res = await fetch(input, { ...init, headers: { ...headers, ...proxied(ip) } });
      statuses.push(res.status);
      return res;
    };
    const client = createKeyExchangeClient({
      baseUrl: server.url,
      csrfToken,
      cookies: [cookieHeader(cookies), session].filter(Boolean).join('; '),
      fetch: recording,
      now: () => a.clock.now(),
    });
    await client.establish();
    const capture = async (path: string, body: unknown): Promise<Sent> => {
      hold = true;
      try {
        await client.fetch(path, { method: 'POST', body });
      } finally {
        hold = false;
      }
      return sent[sent.length - 1]!;
    };
    return { client, csrfToken, session, sent, statuses, capture };
  }

  /** Sends a captured request again, as an attacker on the wire would, optionally altered. */
  const resend = (request: Sent, change: Partial<Sent> = {}) => {
    const again = { ...request, ...change, headers: { ...request.headers, ...(change.headers ?? {}) } };
    return fetch(again.url, wire(again, freshIp()));
  };
  const refusal = async (res: Response) => ({
    status: res.status,
    code: ((await res.json()) as { error?: { code?: string } }).error?.code,
  });

  async function echoed(opened: Opened): Promise<Sent> {
    const res = await opened.client.fetch('/api/security/echo', { method: 'POST', body: { hello: 'world' } });
    expect(res.status).toBe(200);
    return opened.sent[opened.sent.length - 1]!;
  }

  it('CSRF: the public key without a token', async () => {
    const before = await a.snapshot();
    const res = await fetch(`${server.url}/api/security/public-key`, wire({}, freshIp()));
    expect(await refusal(res)).toEqual({ status: 403, code: 'csrf_invalid' });
    await expectNothingChanged(a, before);
  });

  it('CSRF: a token of another session', async () => {
    const mine = await open(alice);
    const theirs = await open(bob);
    const before = await a.snapshot();
    const res = await fetch(
      `${server.url}/api/security/public-key`,
      wire({ headers: { 'x-csrf-token': theirs.csrfToken, cookie: mine.session } }, freshIp()),
    );
    expect(await refusal(res)).toEqual({ status: 403, code: 'csrf_invalid' });
    await expectNothingChanged(a, before);
  });

  it('CSRF: a valid token sent cross-site (Sec-Fetch-Site) or from a foreign Origin', async () => {
    const opened = await open(alice);
    const before = await a.snapshot();
    const extras: Array<Record<string, string>> = [
      { 'sec-fetch-site': 'cross-site' },
      { origin: 'https://evil.example' },
    ];
    for (const extra of extras) {
      const res = await fetch(
        `${server.url}/api/security/public-key`,
        wire({ headers: { 'x-csrf-token': opened.csrfToken, cookie: opened.session, ...extra } }, freshIp()),
      );
      expect(await refusal(res)).toEqual({ status: 403, code: 'csrf_invalid' });
    }
    await expectNothingChanged(a, before);
  });

  it('replayer: a captured channel request sent again', async () => {
    const opened = await open(alice);
    const captured = await echoed(opened);
    const before = await a.snapshot();
    expect(await refusal(await resend(captured))).toEqual({ status: 400, code: 'invalid_envelope' });
    await expectNothingChanged(a, before);
  });

  it('replayer: a captured handshake sent again', async () => {
    const opened = await open(alice);
    const handshake = opened.sent.find((request) => request.url.endsWith('/api/security/session-key'))!;
    const before = await a.snapshot();
    expect(await refusal(await resend(handshake))).toEqual({ status: 400, code: 'invalid_envelope' });
    await expectNothingChanged(a, before);
  });

  it('replayer: a captured request moved to another session', async () => {
    const opened = await open(alice);
    const other = await open(bob);
    const captured = await opened.capture('/api/security/echo', { hello: 'world' });
    const before = await a.snapshot();
    const moved = await resend(captured, {
      headers: { cookie: [cookieHeader(bob), other.session].join('; ') },
    });
    expect(await refusal(moved)).toEqual({ status: 400, code: 'invalid_envelope' });
    await expectNothingChanged(a, before);
  });

  it('intermediary: a crit member added to the protected header', async () => {
    const opened = await open(alice);
    const captured = await opened.capture('/api/security/echo', { hello: 'world' });
    const [header, ...rest] = captured.body!.split('.');
    const parsed = JSON.parse(Buffer.from(header!, 'base64url').toString('utf8')) as Record<string, unknown>;
    const withCrit = Buffer.from(JSON.stringify({ ...parsed, crit: ['exp'], exp: 1 })).toString('base64url');
    const before = await a.snapshot();
    const res = await resend(captured, { body: [withCrit, ...rest].join('.') });
    expect(await refusal(res)).toEqual({ status: 400, code: 'invalid_envelope' });
    await expectNothingChanged(a, before);
  });

  it('intermediary: non-canonical base64url (padding, and low bits set in the last character)', async () => {
    const opened = await open(alice);
    const fresh = async () => (await opened.capture('/api/security/echo', { n: 1 })).body!.split('.');
    const before = await a.snapshot();
    const padded = await fresh();
    const first = await resend(opened.sent[opened.sent.length - 1]!, {
      body: [...padded.slice(0, 4), `${padded[4]!}==`].join('.'),
    });
    expect(await refusal(first)).toEqual({ status: 400, code: 'invalid_envelope' });
    // A 16-byte tag is 22 characters; the last one carries 4 unused bits. A lax decoder reads "B" as "A".
    const parts = await fresh();
    const tag = parts[4]!;
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const last = alphabet.indexOf(tag[tag.length - 1]!);
    const lax = alphabet[(last & ~0b1111) | ((last & 0b1111) ^ 0b0001)]!;
    const second = await resend(opened.sent[opened.sent.length - 1]!, {
      body: [...parts.slice(0, 4), tag.slice(0, -1) + lax].join('.'),
    });
    expect(await refusal(second)).toEqual({ status: 400, code: 'invalid_envelope' });
    await expectNothingChanged(a, before);
  });

  it('intermediary: a sealed success turned into another status is caught by the client (sts)', async () => {
    const opened = await open(alice);
    const ip = freshIp();
    const tampering: typeof fetch = async (input, init) => {
      const res = await fetch(input, {
        ...init,
        headers: { ...Object.fromEntries(new Headers(init?.headers)), ...proxied(ip) },
      });
      return new Response(await res.arrayBuffer(), { status: 201, headers: res.headers });
    };
    const client = createKeyExchangeClient({
      baseUrl: server.url,
      csrfToken: opened.csrfToken,
      cookies: [cookieHeader(alice), opened.session].join('; '),
      fetch: tampering,
      now: () => a.clock.now(),
    });
    await expect(
      client.fetch('/api/security/echo', { method: 'POST', body: { x: 1 } }),
    ).rejects.toMatchObject({
      code: 'invalid_response',
    });
  });

  it('a plaintext request to a channel route', async () => {
    const before = await a.snapshot();
    const res = await fetch(
      `${server.url}/api/security/echo`,
      wire(
        { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"hello":1}' },
        freshIp(),
      ),
    );
    expect(await refusal(res)).toEqual({ status: 400, code: 'encryption_required' });
    await expectNothingChanged(a, before);
  });

  it('a handshake sent as application/json', async () => {
    const opened = await open(alice);
    const before = await a.snapshot();
    const res = await fetch(
      `${server.url}/api/security/session-key`,
      wire(
        {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            'x-csrf-token': opened.csrfToken,
            cookie: opened.session,
          },
          body: '{"k":"x"}',
        },
        freshIp(),
      ),
    );
    expect(await refusal(res)).toEqual({ status: 415, code: 'unsupported_media_type' });
    await expectNothingChanged(a, before);
  });

  it('deeply nested JSON inside a valid envelope', async () => {
    const opened = await open(alice);
    let deep: unknown = 1;
    for (let i = 0; i < 40; i += 1) deep = [deep];
    const before = await a.snapshot();
    const res = await opened.client.fetch('/api/security/echo', { method: 'POST', body: deep });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('json_too_deep');
    expect(a.t.logger.lines.filter((line) => line.level === 'error')).toEqual([]);
    await expectNothingChanged(a, before, /^set kx:ch:/);
  });

  it('an expired channel (past its 30-day hard end) is refused; so is the page token it was opened with', async () => {
    const opened = await open(alice);
    a.clock.advance(31 * 86_400_000);
    try {
      const from = opened.sent.length;
      const before = await a.snapshot();
      await expect(
        opened.client.fetch('/api/security/echo', { method: 'POST', body: { late: true } }),
      ).rejects.toMatchObject({ status: 403, code: 'csrf_invalid' });
      // The request under the old channel: 400 invalid_envelope; the client's new handshake (with the page's
      // 14-day token, expired too) goes no further than the public key.
      expect(opened.statuses.slice(from)).toEqual([400, 403]);
      await expectNothingChanged(a, before);
    } finally {
      a.clock.advance(-31 * 86_400_000);
    }
  });

  it('replayer: a request delayed past the 60 s window, never sent before', async () => {
    const opened = await open(alice);
    const captured = await opened.capture('/api/security/echo', { hello: 'later' });
    a.clock.advance(61_000);
    const before = await a.snapshot();
    expect(await refusal(await resend(captured))).toEqual({ status: 400, code: 'invalid_envelope' });
    await expectNothingChanged(a, before);
  });

  it('replayer: a request moved to another route (htu) or method', async () => {
    const opened = await open(alice);
    const captured = await opened.capture('/api/security/echo', { hello: 'moved' });
    const before = await a.snapshot();
    const moved = await resend(captured, { url: `${server.url}/api/activities/a1/join` });
    expect((await refusal(moved)).code).toMatch(/^(invalid_envelope|unauthenticated)$/);
    const method = await resend(captured, { method: 'PUT' });
    expect((await refusal(method)).status).toBeGreaterThanOrEqual(400);
    await expectNothingChanged(a, before);
    // The untouched original still goes through once: nothing above spent it.
    expect((await resend(captured)).status).toBe(200);
  });

  it("wallets: signing with another user's wallet", async () => {
    const mine = await open(alice);
    const theirs = await open(bob);
    const created = await theirs.client.fetch('/api/wallets', { method: 'POST', body: {} });
    expect(created.status).toBe(201);
    const { wallet } = (await created.json()) as { wallet: { id: string } };
    const before = await a.snapshot();
    const res = await mine.client.fetch(`/api/wallets/${wallet.id}/sign`, {
      method: 'POST',
      body: { message: 'transfer everything' },
    });
    expect(res.status).toBe(404);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('wallet_not_found');
    expect(a.t.logger.lines.some((line) => line.message === 'wallet signed a message')).toBe(false);
    await expectNothingChanged(a, before, /^setIfAbsent kx:jti:|^set kx:ch:/);
  });

  it('wallets: a plaintext create from a signed-in user', async () => {
    const before = await a.snapshot();
    const res = await fetch(
      `${server.url}/api/wallets`,
      wire(
        {
          method: 'POST',
          headers: { 'content-type': 'application/json', cookie: cookieHeader(alice) },
          body: '{}',
        },
        freshIp(),
      ),
    );
    expect(await refusal(res)).toEqual({ status: 400, code: 'encryption_required' });
    await expectNothingChanged(a, before);
    expect(
      await a.t.services.wallets.listByUser((await a.t.services.users.findByEmail('alice@example.com'))!.id),
    ).toEqual([]);
  });

  it('wallets: an open channel without a session', async () => {
    const anonymous = await open({});
    const before = await a.snapshot();
    const res = await anonymous.client.fetch('/api/wallets', { method: 'POST', body: {} });
    expect(res.status).toBe(401);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('unauthenticated');
    await expectNothingChanged(a, before, /^setIfAbsent kx:jti:|^set kx:ch:/);
  });
});
