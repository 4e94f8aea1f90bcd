import { randomInt } from 'node:crypto';
import { createKeyExchangeClient, type KeyExchangeClient } from '@shieldwall/key-exchange/client';

/** One request as the client saw it. */
export interface Sample {
  phase: string;
  op: string;
  status: number;
  /** The envelope's `error.code` of a refusal ('timeout' when the client gave up, 'network' when the socket died). */
  code?: string;
  ms: number;
}

/** Far past every documented bound: a request this slow is counted as a hang (status 0, code 'timeout'). */
export const clientTimeoutMs = 15_000;

export class Recorder {
  readonly samples: Sample[] = [];
  phase = 'setup';
  /** Broken guarantees seen mid-run: a refresh token rotated into two successors, a channel answering wrong. */
  breaches: string[] = [];

  constructor(readonly base: string) {}

  /** A fetch for the key exchange's client: from `ip`, each request recorded as `op`. */
  fetchFor(ip: string, op: string): typeof fetch {
    return async (input, init) => {
      const headers = new Headers(init?.headers);
      headers.set('X-Forwarded-For', ip);
      const started = performance.now();
      const sample: Sample = { phase: this.phase, op, status: 0, ms: 0 };
      try {
        const res = await fetch(input, { ...init, headers, signal: AbortSignal.timeout(clientTimeoutMs) });
        sample.status = res.status;
        if (res.status >= 400) {
          const body = (await res
            .clone()
            .json()
            .catch(() => undefined)) as { error?: { code?: string } } | undefined;
          sample.code = body?.error?.code ?? 'no_envelope';
        }
        return res;
      } catch (error) {
        sample.code = (error as Error).name === 'TimeoutError' ? 'timeout' : 'network';
        throw error;
      } finally {
        sample.ms = performance.now() - started;
        this.samples.push(sample);
      }
    };
  }

  /** A request through the proxy, recorded; the body read as JSON when it is JSON. */
  async call(
    op: string,
    path: string,
    init: { method?: string; ip: string; cookie?: string; json?: unknown; body?: string; type?: string },
  ): Promise<{ status: number; body: unknown; cookies: Record<string, string> }> {
    const headers: Record<string, string> = { 'X-Forwarded-For': init.ip };
    if (init.cookie) headers.Cookie = init.cookie;
    let body = init.body;
    if (init.json !== undefined) {
      headers['Content-Type'] = 'application/json';
      body = JSON.stringify(init.json);
    } else if (init.type) headers['Content-Type'] = init.type;
    const started = performance.now();
    const sample: Sample = { phase: this.phase, op, status: 0, ms: 0 };
    try {
      const res = await fetch(`${this.base}${path}`, {
        method: init.method ?? (body === undefined ? 'GET' : 'POST'),
        headers,
        ...(body !== undefined ? { body } : {}),
        signal: AbortSignal.timeout(clientTimeoutMs),
      });
      const text = await res.text();
      sample.status = res.status;
      let parsed: unknown = text;
      if ((res.headers.get('content-type') ?? '').includes('json') && text) parsed = JSON.parse(text);
      if (res.status >= 400)
        sample.code = (parsed as { error?: { code?: string } } | undefined)?.error?.code ?? 'no_envelope';
      const cookies: Record<string, string> = {};
      for (const line of res.headers.getSetCookie()) {
        const pair = line.split(';')[0]!;
        cookies[pair.slice(0, pair.indexOf('='))] = pair.slice(pair.indexOf('=') + 1);
      }
      return { status: res.status, body: parsed, cookies };
    } catch (error) {
      sample.code = (error as Error).name === 'TimeoutError' ? 'timeout' : 'network';
      return { status: 0, body: undefined, cookies: {} };
    } finally {
      sample.ms = performance.now() - started;
      this.samples.push(sample);
    }
  }
}

export const password = 'fault harness password 42';

const legacyReport = JSON.stringify({
  'csp-report': {
    'document-uri': 'http://localhost/signin',
    'blocked-uri': 'inline',
    'effective-directive': 'script-src-elem',
    'violated-directive': 'script-src-elem',
    'original-policy': "default-src 'self'",
    disposition: 'enforce',
    'status-code': 200,
  },
});

const jti = (token: string): string =>
  (JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as { jti: string }).jti;

/** A signed-in person: one client IP, a cookie jar, and every refresh token it has spent. */
export class User {
  jar: Record<string, string> = {};
  spent: string[] = [];
  /** The encrypted channel, opened from GET / through the proxy; every call may land on either instance. */
  channel: KeyExchangeClient | undefined;
  constructor(
    readonly email: string,
    readonly ip: string,
  ) {}

  cookie(): string {
    return Object.entries(this.jar)
      .filter(([, value]) => value !== '')
      .map(([name, value]) => `${name}=${value}`)
      .join('; ');
  }

  keep(cookies: Record<string, string>): void {
    Object.assign(this.jar, cookies);
  }
}

export async function register(rec: Recorder, user: User): Promise<number> {
  const res = await rec.call('register', '/api/auth/register', {
    ip: user.ip,
    json: { email: user.email, password },
  });
  return res.status;
}

export async function signIn(rec: Recorder, user: User): Promise<boolean> {
  const res = await rec.call('sign-in', '/api/auth/login', {
    ip: user.ip,
    json: { email: user.email, password },
  });
  if (res.status !== 200) return false;
  user.jar = {};
  user.keep(res.cookies);
  return true;
}

/**
 * The same refresh token sent twice at once, as two tabs do: the proxy hands them to different instances. At most
 * one rotation may happen: two successes must carry the same successor (the grace window), never two families.
 */
export async function refreshTwice(rec: Recorder, user: User): Promise<'ok' | 'lost' | 'refused'> {
  const spent = user.jar.rt;
  if (!spent) return 'lost';
  const cookie = user.cookie();
  const [a, b] = await Promise.all([
    rec.call('refresh', '/api/auth/refresh', { ip: user.ip, cookie, method: 'POST' }),
    rec.call('refresh', '/api/auth/refresh', { ip: user.ip, cookie, method: 'POST' }),
  ]);
  const rotated = [a, b].filter((res) => res.status === 204 && res.cookies.rt);
  if (rotated.length === 2 && jti(rotated[0]!.cookies.rt!) !== jti(rotated[1]!.cookies.rt!))
    rec.breaches.push(`${rec.phase}: ${user.email}: one refresh token rotated into two successors`);
  if (rotated.length > 0) {
    user.spent.push(spent);
    user.keep(rotated[0]!.cookies);
    return 'ok';
  }
  // 401: the family ended (a reuse seen, as a lost rotation may cause); 503: the store did not answer, keep it.
  return [a, b].some((res) => res.status === 401) ? 'lost' : 'refused';
}

/** Opens the channel as the page does: GET / for the CSRF token and the key-exchange cookie, then establish. */
async function openChannel(rec: Recorder, user: User): Promise<KeyExchangeClient | undefined> {
  const page = await rec.call('page', '/', { ip: user.ip, cookie: user.cookie() });
  const token =
    typeof page.body === 'string'
      ? /<meta name="csrf-token" content="([^"]+)">/.exec(page.body)?.[1]
      : undefined;
  if (page.status !== 200 || !token) return undefined;
  const session = Object.entries(page.cookies).map(([name, value]) => `${name}=${value}`);
  const client = createKeyExchangeClient({
    baseUrl: rec.base,
    csrfToken: token,
    cookies: [user.cookie(), ...session].filter(Boolean).join('; '),
    fetch: rec.fetchFor(user.ip, 'channel'),
  });
  try {
    await client.establish();
    return client;
  } catch {
    return undefined;
  }
}

/**
 * An encrypted echo over the channel. The client opens a new channel by itself when the old one is not known any
 * more; a wrong answer to a 200 is counted as a fault of its own.
 */
async function channelEcho(rec: Recorder, user: User, n: number): Promise<void> {
  user.channel ??= await openChannel(rec, user);
  if (!user.channel) return;
  try {
    const res = await user.channel.fetch('/api/security/echo', { method: 'POST', body: { n } });
    if (res.status === 200 && JSON.stringify(await res.json()).indexOf(`"n":${n}`) < 0)
      rec.breaches.push(`${rec.phase}: ${user.email}: the channel echoed something else`);
    if (res.status >= 400) user.channel = undefined;
  } catch {
    user.channel = undefined;
  }
}

/** One round of a signed-in person's traffic: refresh (twice at once), a page, `me`, a channel call and a CSP report. */
export async function round(rec: Recorder, user: User, n: number): Promise<void> {
  const refreshed = await refreshTwice(rec, user);
  if (refreshed === 'lost') await signIn(rec, user);
  await channelEcho(rec, user, n);
  // GET / makes a CSRF token (the `page` budget: 60 a minute per IP); the other pages are plain renders.
  await rec.call('page', n % 4 === 0 ? '/' : '/signin', { ip: user.ip });
  await rec.call('me', '/api/auth/me', { ip: user.ip, cookie: user.cookie() });
  await rec.call('csp-report', '/api/csp-report-endpoint?version=1', {
    ip: user.ip,
    body: legacyReport,
    type: 'application/csp-report',
  });
}

/** Every person's rounds, concurrently, until `until` resolves or `maxRounds` (a bound on the request count). */
export async function drive(
  rec: Recorder,
  users: readonly User[],
  until: Promise<unknown>,
  maxRounds = 200,
): Promise<void> {
  let stop = false;
  const done = (): void => {
    stop = true;
  };
  until.then(done, done);
  await Promise.all(
    users.map(async (user) => {
      for (let n = 0; n < maxRounds && !stop; n++) {
        await round(rec, user, n);
        await new Promise((resolve) => setTimeout(resolve, 150));
      }
    }),
  );
}

/**
 * A rate-limited burst: `count` sign-ins with a wrong password from one fresh IP for a fresh address, one after the
 * other (the proxy alternates the instances). Returns how many got past the limiter (401 invalid_credentials).
 */
export async function burst(rec: Recorder, count: number): Promise<{ passed: number; limited: number }> {
  const ip = `10.200.${randomInt(256)}.${randomInt(1, 255)}`;
  const email = `burst-${randomInt(1e9)}@example.test`;
  let passed = 0;
  let limited = 0;
  for (let i = 0; i < count; i++) {
    const res = await rec.call('burst', '/api/auth/login', {
      ip,
      json: { email, password: 'wrong password 1' },
    });
    if (res.status === 401) passed += 1;
    else if (res.status === 429 || res.status === 403) limited += 1;
  }
  return { passed, limited };
}
