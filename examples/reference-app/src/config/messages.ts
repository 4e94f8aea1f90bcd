import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { positiveInt, url, type Env, type Problems } from './parse.js';

export interface TwilioConfig {
  provider: 'twilio';
  accountSid: string;
  authToken: string;
  from?: string;
  messagingServiceSid?: string;
  /** TWILIO_BASE_URL: overrides https://api.twilio.com (tests point it at loopback). */
  baseUrl?: string;
}

export interface MessagesConfig {
  /** SMTP_URL: smtp:// (STARTTLS, required except to loopback) or smtps:// (TLS). Absent: the local outbox. */
  smtpUrl?: string;
  /** MAIL_FROM: the From address. */
  mailFrom: string;
  /** SMTP_TLS_CA_FILE: PEM of a private CA that signed the SMTP server's certificate (read at start). */
  smtpCa?: string;
  /** SMS_ROUTES=off turns off POST /api/otp/sms and /api/otp/sms/verify (and so every SMS). */
  smsRoutes: boolean;
  sms?: TwilioConfig;
  /** Outside production without a provider: where .eml/.txt files go (`<DATA_DIR>/outbox`; none in test). */
  outboxDir?: string;
  /** OUTBOX_POLL_MS: how often each instance's worker looks for due messages. Default 1000. */
  outboxPollMs: number;
  /**
   * MESSAGES_PER_DESTINATION (5) per MESSAGES_PER_DESTINATION_WINDOW_MS (3600000): how many messages one e-mail
   * address or phone number receives, whoever asks (messages/destination-cap.ts).
   */
  perDestination: { limit: number; windowMs: number };
}

const address = /^(?:[^<>@\s]{1,64}@[^<>@\s]{1,253}|[^<>]{0,100}<[^<>@\s]{1,64}@[^<>@\s]{1,253}>)$/;
const e164 = /^\+[1-9]\d{6,14}$/;

function smsProvider(env: Env, problems: Problems): TwilioConfig | undefined {
  const provider = env.SMS_PROVIDER;
  if (!provider) return undefined;
  if (provider !== 'twilio') {
    problems.add('SMS_PROVIDER must be twilio (the Twilio Messages API wire format)');
    return undefined;
  }
  const { TWILIO_ACCOUNT_SID: accountSid, TWILIO_AUTH_TOKEN: authToken } = env;
  const from = env.TWILIO_FROM;
  const messagingServiceSid = env.TWILIO_MESSAGING_SERVICE_SID;
  const baseUrl = url(env, 'TWILIO_BASE_URL', problems);
  let ok = true;
  if (!accountSid || !authToken) {
    problems.add('SMS_PROVIDER=twilio needs TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN');
    ok = false;
  }
  if (!from === !messagingServiceSid) {
    problems.add(
      'SMS_PROVIDER=twilio needs exactly one of TWILIO_FROM (an E.164 number) and TWILIO_MESSAGING_SERVICE_SID',
    );
    ok = false;
  } else if (from && !e164.test(from)) {
    problems.add('TWILIO_FROM must be an E.164 number such as +15005550006');
    ok = false;
  }
  if (!ok) return undefined;
  return {
    provider: 'twilio',
    accountSid: accountSid!,
    authToken: authToken!,
    ...(from ? { from } : {}),
    ...(messagingServiceSid ? { messagingServiceSid } : {}),
    ...(baseUrl ? { baseUrl } : {}),
  };
}

/**
 * E-mail, SMS and outbox settings. In production a mail transport is required, and an SMS provider unless
 * SMS_ROUTES=off: without them a registration could never complete.
 */
export function messagesConfig(
  env: Env,
  context: { production: boolean; nodeEnv: string; dataDir: string },
  problems: Problems,
): MessagesConfig {
  const { production } = context;
  const smtpUrl = url(env, 'SMTP_URL', problems);
  if (smtpUrl && !/^smtps?:\/\/[^/]/.test(smtpUrl))
    problems.add(
      'SMTP_URL must be smtp://[user:pass@]host[:587] (STARTTLS) or smtps://[user:pass@]host[:465] (TLS)',
    );
  if (!env.SMTP_URL && production)
    problems.add(
      'SMTP_URL is required in production: smtp://user:pass@host:587 (STARTTLS) or smtps://user:pass@host:465, with MAIL_FROM',
    );

  const mailFrom = env.MAIL_FROM ?? (production ? '' : 'Shieldwall <no-reply@localhost>');
  if (!mailFrom) problems.add('MAIL_FROM is required in production, e.g. "Example <no-reply@example.com>"');
  else if (!address.test(mailFrom))
    problems.add(
      'MAIL_FROM must be an address, or a name and <address>, e.g. "Example <no-reply@example.com>"',
    );

  let smtpCa: string | undefined;
  if (env.SMTP_TLS_CA_FILE) {
    try {
      smtpCa = readFileSync(env.SMTP_TLS_CA_FILE, 'utf8');
    } catch {
      problems.add('SMTP_TLS_CA_FILE must name a readable PEM file');
    }
  }

  const routes = (env.SMS_ROUTES ?? 'on').toLowerCase();
  if (routes !== 'on' && routes !== 'off') problems.add('SMS_ROUTES must be on or off');
  const smsRoutes = routes !== 'off';
  const sms = smsProvider(env, problems);
  if (production && routes === 'on' && !env.SMS_PROVIDER)
    problems.add(
      'SMS_PROVIDER is required in production while the SMS routes are on: SMS_PROVIDER=twilio with TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN and TWILIO_FROM or TWILIO_MESSAGING_SERVICE_SID; or SMS_ROUTES=off',
    );

  const outboxPollMs = env.OUTBOX_POLL_MS === '0' ? 0 : positiveInt(env, 'OUTBOX_POLL_MS', 1000, problems);
  const outboxDir =
    env.OUTBOX_DIR ?? (context.nodeEnv === 'development' ? join(context.dataDir, 'outbox') : undefined);

  const limit = positiveInt(env, 'MESSAGES_PER_DESTINATION', 5, problems);
  if (limit > 1000) problems.add('MESSAGES_PER_DESTINATION must be a whole number from 1 to 1000');
  const windowMs = positiveInt(env, 'MESSAGES_PER_DESTINATION_WINDOW_MS', 3600_000, problems);
  if (windowMs < 60_000 || windowMs > 7 * 86_400_000)
    problems.add(
      'MESSAGES_PER_DESTINATION_WINDOW_MS must be a whole number of milliseconds from 60000 to 604800000',
    );

  return {
    ...(smtpUrl ? { smtpUrl } : {}),
    mailFrom,
    ...(smtpCa ? { smtpCa } : {}),
    smsRoutes,
    ...(sms ? { sms } : {}),
    ...(outboxDir ? { outboxDir } : {}),
    outboxPollMs,
    perDestination: { limit, windowMs },
  };
}
