import { createHmac } from 'node:crypto';
import { manualClock, type ManualClock } from '@shieldwall/core';
import { startTestApp, type TestApp } from '../helpers/reference-app.js';
import { fakeProvider, type FakeProvider } from '../helpers/fake-captcha-provider.js';
import { fastHashing } from './auth-helpers.js';

export { fakeProvider, type FakeProvider };

export interface CaptchaTestApp {
  t: TestApp;
  clock: ManualClock;
  provider: FakeProvider;
  close(): Promise<void>;
}

/** The reference app with reCAPTCHA v3 (or another provider) pointed at a fake provider on loopback. */
export async function startCaptchaApp(
  providerName = 'recaptcha',
  env: Record<string, string> = {},
): Promise<CaptchaTestApp> {
  const provider = await fakeProvider(
    providerName === 'recaptcha-enterprise' ? '/v1/projects/p1/assessments' : '/siteverify',
  );
  const clock = manualClock(Date.now());
  const t = await startTestApp(
    {
      ...fastHashing,
      CAPTCHA_PROVIDER: providerName,
      CAPTCHA_SECRET: 'captcha-secret',
      CAPTCHA_VERIFY_URL: provider.url,
      ...env,
    },
    { clock },
  );
  return {
    t,
    clock,
    provider,
    async close() {
      await t.close();
      await provider.close();
    },
  };
}

/** A reCAPTCHA v3 reply for the app's hostname (localhost), solved `ageMs` ago by the app's clock. */
export function recaptchaReply(app: CaptchaTestApp, score: number, action: string, ageMs = 3000) {
  return {
    json: {
      success: true,
      score,
      action,
      hostname: 'localhost',
      challenge_ts: new Date(app.clock.now() - ageMs).toISOString().replace(/\.\d{3}Z$/, 'Z'),
    },
  };
}

/** The 6-digit code in the newest message to an address or phone. */
export function codeFrom(t: TestApp, to: string): string {
  const match = /\b(\d{6})\b/.exec(t.services.outbox.latestTo(to)?.text ?? '');
  if (!match) throw new Error(`no code in the latest message to ${to}`);
  return match[1]!;
}

/**
 * RFC 6238 TOTP (SHA-1, 6 digits, 30 s), written out here from the RFC rather than through the library the app
 * uses, so the tests check the app against the standard.
 */
export function totp(base32Secret: string, atMs: number): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = '';
  for (const char of base32Secret.replace(/=+$/, ''))
    bits += alphabet.indexOf(char).toString(2).padStart(5, '0');
  const key = Buffer.from(bits.match(/.{8}/g)!.map((byte) => parseInt(byte, 2)));
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(atMs / 1000 / 30)));
  const mac = createHmac('sha1', key).update(counter).digest();
  const offset = mac[mac.length - 1]! & 0x0f;
  const value = (mac.readUInt32BE(offset) & 0x7fffffff) % 1_000_000;
  return String(value).padStart(6, '0');
}
