import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Response, Test } from 'supertest';
import { passwords } from '@shieldwall/passwords';
import { manualClock, memoryStore, type ManualClock, type Store } from '@shieldwall/core';
import { recordingStore, type RecordingStore } from '@shieldwall/test-utils';
import { startTestApp, type TestApp } from '../../examples/reference-app/test/helpers/reference-app.js';
import { fakeProvider, type FakeProvider } from '../../packages/captcha-gate/test/fake-provider.js';
import {
  cookieHeader,
  productionEnv,
  setCookies as cookiesOf,
} from '../../examples/reference-app/test/e2e/auth-helpers.js';

// The cookie helpers of the app's e2e suite, under the name the attack files use.
export { cookieHeader, cookiesOf };

// The attack catalogue's target: the reference app as an outsider meets it, in development and in production
// (behind a trusted TLS proxy on loopback: every request says X-Forwarded-Proto: https). Both modes have a CAPTCHA
// provider (a fake one on loopback, answering as reCAPTCHA v3 would) so that every gate is live, a manual clock so
// expiry attacks need no sleeps, and a store that records every change, so each refusal can be shown to have
// changed nothing.

export type ModeName = 'development' | 'production';
export const modes: ModeName[] = ['development', 'production'];

export const password = 'correct horse battery staple';
/** Accounts are made with a cost-4 hash: a sign-in verifies at the hash's own cost, so production stays fast. */
let passwordHash: Promise<string> | undefined;
function cheapHash(): Promise<string> {
  if (!passwordHash) {
    const hasher = passwords({ cost: 4, poolSize: 1 });
    passwordHash = hasher.hash(password).finally(() => void hasher.close());
  }
  return passwordHash;
}

export interface Target {
  mode: ModeName;
  production: boolean;
  t: TestApp;
  clock: ManualClock;
  provider: FakeProvider;
  store: RecordingStore<Store>;
  /** The app's public origin (what a browser on the app sends as Origin). */
  origin: string;
  cookie: { access: string; refresh: string };
  /** A request as a client reaches the app (through the proxy in production), from `ip` (default 198.51.100.1). */
  call(method: 'get' | 'post' | 'put' | 'delete' | 'patch', path: string, ip?: string): Test;
  /** Makes the CAPTCHA provider pass every token for `action` with `score`. */
  captcha(action: string, score?: number): void;
  /** A verified account; returns its id. */
  account(email: string): Promise<string>;
  /** Signs in (from its own IP, so the sign-in budget of the attacks' IP is untouched); returns the cookies. */
  signIn(email: string): Promise<Record<string, string>>;
  /** What the attacks must leave alone: store changes, users, outbox rows. */
  snapshot(): Promise<Snapshot>;
  close(): Promise<void>;
}

export interface Snapshot {
  changes: number;
  users: number;
  outbox: number;
}

let ipCounter = 0;
/** A fresh client IP (TEST-NET-2), for attacks that must not share a rate budget with the ones before. */
export const freshIp = (): string => {
  ipCounter += 1;
  return `198.51.${100 + Math.floor(ipCounter / 250)}.${(ipCounter % 250) + 1}`;
};

export async function startTarget(mode: ModeName, env: Record<string, string> = {}): Promise<Target> {
  const production = mode === 'production';
  const provider = await fakeProvider('/siteverify');
  const clock = manualClock(Date.now());
  const store = recordingStore(memoryStore({ clock }));
  const dataDir = mkdtempSync(join(tmpdir(), 'sw-attacks-'));
  const common = {
    CAPTCHA_PROVIDER: 'recaptcha',
    CAPTCHA_SECRET: 'captcha-secret',
    CAPTCHA_SITE_KEY: 'site-key',
    CAPTCHA_VERIFY_URL: provider.url,
    TRUST_PROXY: 'loopback',
    DATA_DIR: dataDir,
    OUTBOX_POLL_MS: '0',
  };
  const modeEnv = production
    ? {
        ...productionEnv(),
        // Nothing listens at the fake provider's Twilio path: messages stay pending in the outbox table.
        SMS_ROUTES: 'on',
        SMS_PROVIDER: 'twilio',
        TWILIO_ACCOUNT_SID: 'AC00000000000000000000000000000001',
        TWILIO_AUTH_TOKEN: 'token',
        TWILIO_FROM: '+15005550006',
        TWILIO_BASE_URL: provider.url,
      }
    : { NODE_ENV: 'development', OUTBOX_DIR: join(dataDir, 'outbox') };
  const t = await startTestApp({ ...modeEnv, ...common, ...env }, { clock, store });
  const origin = t.services.config.publicOrigin;
  const host = new URL(origin).host;

  const call: Target['call'] = (method, path, ip = '198.51.100.1') => {
    const req = t.request[method](path).set('X-Forwarded-For', ip);
    return production ? req.set('X-Forwarded-Proto', 'https').set('Host', host) : req;
  };
  const accounts = new Map<string, number>();
  const target: Target = {
    mode,
    production,
    t,
    clock,
    provider,
    store,
    origin,
    cookie: production ? { access: '__Host-at', refresh: '__Secure-rt' } : { access: 'at', refresh: 'rt' },
    call,
    captcha(action, score = 0.9) {
      provider.reply = () => ({
        json: {
          success: true,
          score,
          action,
          hostname: new URL(origin).hostname,
          challenge_ts: new Date(clock.now() - 2000).toISOString().replace(/\.\d{3}Z$/, 'Z'),
        },
      });
    },
    async account(email) {
      const user = await t.services.users.create({
        email,
        passwordHash: await cheapHash(),
        emailVerified: true,
      });
      if (!user) throw new Error(`account ${email} exists`);
      return user.id;
    },
    async signIn(email) {
      accounts.set(email, (accounts.get(email) ?? 0) + 1);
      const res = await call('post', '/api/auth/login', freshIp()).send({ email, password });
      if (res.status !== 200) throw new Error(`sign-in of ${email}: ${res.status} ${res.text}`);
      return cookiesOf(res);
    },
    async snapshot() {
      const outbox = await t.services.database.db
        .selectFrom('outbox_messages')
        .select((eb) => eb.fn.countAll<string>().as('n'))
        .executeTakeFirstOrThrow();
      return {
        changes: store.changes.length,
        users: await t.services.users.count(),
        outbox: Number(outbox.n),
      };
    },
    async close() {
      await t.close();
      await provider.close();
      await store.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
  return target;
}

/**
 * Store changes since the snapshot that are state, not bookkeeping: rate-limit and cap counters (increments) are
 * what a refusal is allowed to leave; `allowed` names other keys an attack may touch (a replay cache claiming the
 * attacker's own spent token, for instance).
 */
export function stateChangesSince(target: Target, before: Snapshot, allowed?: RegExp): string[] {
  return target.store.changes
    .slice(before.changes)
    .filter((change) => change.op !== 'increment' && change.op !== 'incrementMember')
    .map((change) => `${change.op} ${change.key}`)
    .filter((entry) => allowed === undefined || !allowed.test(entry));
}

/** Asserts that nothing an attacker could gain from changed: no store state, no user, no message written. */
export async function expectNothingChanged(
  target: Target,
  before: Snapshot,
  allowed?: RegExp,
): Promise<void> {
  expect(stateChangesSince(target, before, allowed)).toEqual([]);
  const after = await target.snapshot();
  expect({ users: after.users, outbox: after.outbox }).toEqual({
    users: before.users,
    outbox: before.outbox,
  });
}

/** The JSON envelope of a refusal: status and code, and no cookie set. */
export function expectRefused(res: Response, status: number, code: string): void {
  expect({ status: res.status, code: (res.body as { error?: { code?: string } }).error?.code }).toEqual({
    status,
    code,
  });
}

/** Polls until `check` returns a value (messages are written after the answer); no fixed sleeps. */
export async function eventually<T>(check: () => Promise<T | undefined> | T | undefined): Promise<T> {
  for (let i = 0; i < 400; i += 1) {
    const value = await check();
    if (value !== undefined) return value;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  throw new Error('eventually: timed out');
}

/**
 * The texts of the messages written to `to`, oldest first: the in-memory record in development, the outbox table
 * in production (which keeps the body while the message is pending; nothing listens at the test's SMTP address).
 */
export async function messagesTo(target: Target, to: string): Promise<string[]> {
  if (!target.production)
    return target.t.services.outbox.messages.filter((m) => m.to === to).map((m) => m.text);
  const rows = await target.t.services.database.db
    .selectFrom('outbox_messages')
    .select(['content', 'created_at'])
    .where('recipient', '=', to)
    .orderBy('created_at')
    .execute();
  return rows.map((row) => (row.content as { text?: string } | null)?.text ?? '');
}

/** The 43-character token in the `nth` (1-based) message to `to`, waiting for it. */
export async function tokenTo(target: Target, to: string, nth = 1): Promise<string> {
  return eventually(async () => {
    const text = (await messagesTo(target, to))[nth - 1];
    return text ? /#token=([A-Za-z0-9_-]{43})/.exec(text)?.[1] : undefined;
  });
}
