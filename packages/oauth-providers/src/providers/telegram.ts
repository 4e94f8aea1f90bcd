import { createHash, createHmac, createSecretKey, type KeyObject } from 'node:crypto';
import type { Request } from 'express';
import { Strategy } from 'passport';
import { constantTimeEqual, type Clock } from '@shieldwall/core';
import type { OAuthProfile } from '../types.js';

// The Telegram Login Widget check (https://core.telegram.org/widgets/login#checking-authorization): HMAC-SHA256,
// keyed with SHA-256 of the bot token, over EVERY received field except `hash`, sorted by key, `key=value` joined
// with "\n". Checking a fixed list of fields (as passport-telegram-official does) would let an injected field
// through, or break when Telegram signs a new one.

export type TelegramVerdict =
  | { ok: true; profile: OAuthProfile; hash: string }
  | { ok: false; code: 'oauth_telegram_invalid' | 'oauth_telegram_expired' };

export interface TelegramCheckOptions {
  botToken: string;
  maxAgeSeconds: number;
  clock: Clock;
  /** Tolerated clock difference for an `auth_date` in the future. Defaults to 5 s. */
  skewSeconds?: number;
}

const maxFields = 20;

/** Builds the check once; the returned function verifies one payload of received fields. */
export function telegramCheck(options: TelegramCheckOptions): (fields: unknown) => TelegramVerdict {
  const key: KeyObject = createSecretKey(createHash('sha256').update(options.botToken).digest());
  const skew = options.skewSeconds ?? 5;
  const invalid = { ok: false, code: 'oauth_telegram_invalid' } as const;

  return function checkTelegram(fields) {
    if (typeof fields !== 'object' || fields === null || Array.isArray(fields)) return invalid;
    const entries = Object.entries(fields as Record<string, unknown>);
    if (entries.length > maxFields) return invalid;
    const values: Record<string, string> = {};
    for (const [name, value] of entries) {
      // Repeated query parameters arrive as arrays: refused, never joined.
      if (typeof value === 'string') values[name] = value;
      else if (typeof value === 'number' && Number.isFinite(value)) values[name] = String(value);
      else return invalid;
    }
    const { hash } = values;
    if (!hash || !/^[0-9a-f]{64}$/.test(hash) || !values.id || !values.auth_date) return invalid;
    const checkString = Object.keys(values)
      .filter((name) => name !== 'hash')
      .sort()
      .map((name) => `${name}=${values[name]}`)
      .join('\n');
    const expected = createHmac('sha256', key).update(checkString).digest('hex');
    if (!constantTimeEqual(expected, hash)) return invalid;

    if (!/^\d{1,12}$/.test(values.auth_date)) return invalid;
    const authDate = Number(values.auth_date);
    const now = Math.floor(options.clock.now() / 1000);
    if (authDate > now + skew || now - authDate > options.maxAgeSeconds) {
      return { ok: false, code: 'oauth_telegram_expired' };
    }
    const name = [values.first_name, values.last_name].filter(Boolean).join(' ');
    return {
      ok: true,
      hash,
      profile: {
        provider: 'telegram',
        id: values.id,
        name: name || null,
        username: values.username || null,
        avatarUrl: values.photo_url || null,
        email: null,
        emailVerified: false,
        phone: null,
        phoneVerified: false,
      },
    };
  };
}

/**
 * Reads the widget's fields from the callback: GET parameters (`data-auth-url`), or the `tgAuthResult` that
 * oauth.telegram.org puts in the fragment and the relay page moves into the query (base64 of a JSON object).
 */
export function telegramFields(query: Record<string, unknown>): unknown {
  const relayed = query.tgAuthResult;
  if (relayed === undefined) return query;
  if (typeof relayed !== 'string' || Object.keys(query).length !== 1 || relayed.length > 4096)
    return undefined;
  try {
    return JSON.parse(Buffer.from(relayed, 'base64').toString('utf8'));
  } catch {
    return undefined;
  }
}

/** The check as a passport strategy: `success(profile, {hash})` or `fail({code}, 401)`. */
export class TelegramStrategy extends Strategy {
  override name = 'telegram';
  private readonly check: (fields: unknown) => TelegramVerdict;

  constructor(options: TelegramCheckOptions) {
    super();
    this.check = telegramCheck(options);
  }

  override authenticate(req: Request): void {
    const verdict = this.check(telegramFields(req.query));
    if (verdict.ok) this.success(verdict.profile, { hash: verdict.hash });
    else this.fail({ code: verdict.code }, 401);
  }
}
