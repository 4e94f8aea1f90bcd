import { randomBytes } from 'node:crypto';
import type { Response } from 'supertest';
import { memoryStore, type Store } from '@shieldwall/core';
import type { OutboxMessage } from '@shieldwall/reference-app';
import { recordingStore as recordingStoreOf, type RecordingStore } from '../helpers/recording-store.js';
import type { TestApp } from '../helpers/reference-app.js';

export const fastHashing = { BCRYPT_COST: '4' };
export const goodPassword = 'correct horse battery staple';

export const secret = (): string => randomBytes(32).toString('base64');

/** Production configuration: real secrets, an https origin, a CAPTCHA provider, the proxy on loopback trusted. */
export const productionEnv = () => ({
  NODE_ENV: 'production',
  PUBLIC_ORIGIN: 'https://app.example.test',
  JWT_SECRETS: `p1:${secret()}`,
  WALLET_KEKS: `w1:${secret()}`,
  CAPTCHA_PROVIDER: 'turnstile',
  CAPTCHA_SECRET: 'test-secret',
  CAPTCHA_SITE_KEY: 'test-site-key',
  TRUST_PROXY: 'loopback',
  // Nothing listens there: mail stays in the outbox, which these tests do not read.
  SMTP_URL: 'smtp://127.0.0.1:1',
  MAIL_FROM: 'Shieldwall <no-reply@example.test>',
  SMS_ROUTES: 'off',
});

/** `name=value` of each Set-Cookie line ('' for a cleared cookie). */
export function setCookies(res: Response): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of (res.headers['set-cookie'] as unknown as string[] | undefined) ?? []) {
    const pair = line.split(';')[0]!;
    out[pair.slice(0, pair.indexOf('='))] = pair.slice(pair.indexOf('=') + 1);
  }
  return out;
}

export const cookieHeader = (cookies: Record<string, string>): string =>
  Object.entries(cookies)
    .filter(([, value]) => value !== '')
    .map(([name, value]) => `${name}=${value}`)
    .join('; ');

/** Mail goes out after the response (so timing reveals no accounts): wait for it, without a fixed sleep. */
export async function mailTo(t: TestApp, to: string, count = 1): Promise<OutboxMessage> {
  for (let i = 0; i < 200; i += 1) {
    const all = t.services.outbox.messages.filter((message) => message.to === to);
    if (all.length >= count) return all[count - 1]!;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  throw new Error(`no mail number ${count} to ${to}`);
}

/** The token in the `nth` mail (1-based) to an address, waiting for that mail. */
export async function tokenFromMail(t: TestApp, to: string, nth = 1): Promise<string> {
  const { text } = await mailTo(t, to, nth);
  const match = /#token=([A-Za-z0-9_-]{43})/.exec(text);
  if (!match) throw new Error(`no token in mail number ${nth} to ${to}`);
  return match[1]!;
}

/** Registers, verifies the address and signs in; returns the login response. */
export async function signUp(t: TestApp, email: string, password = goodPassword): Promise<Response> {
  await t.request.post('/api/auth/register').send({ email, password }).expect(202);
  await t.request
    .post('/api/auth/verify-email')
    .send({ token: await tokenFromMail(t, email) })
    .expect(204);
  return t.request.post('/api/auth/login').send({ email, password }).expect(200);
}

export const decode = (token: string, part = 1) =>
  JSON.parse(Buffer.from(token.split('.')[part]!, 'base64url').toString('utf8'));
export const encode = (value: object): string => Buffer.from(JSON.stringify(value)).toString('base64url');

/**
 * A real memory store that records every change (writes, deletions, takes, counters), so tests can assert that a
 * refusal changed nothing: not even a logout everywhere or a burned token.
 */
export function recordingStore(): RecordingStore<Store> {
  return recordingStoreOf(memoryStore());
}

/** Keys the auth feature changed (refresh families and their revocations, reset and verification tokens). */
export const authKeys = (store: RecordingStore<Store>): string[] => store.changedKeys(/^(jwt|pw|verify):/);
