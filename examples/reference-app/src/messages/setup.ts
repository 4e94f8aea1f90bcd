import type { Clock, Logger } from '@shieldwall/core';
import type { Config } from '../config/index.js';
import type { Database } from '../db/open.js';
import { sqlOutboxRepository } from '../db/outbox.js';
import { createOutbox, type Outbox } from '../outbox.js';
import { fileTransports, memoryTransports } from './local-transports.js';
import type { MailTransport, SmsSender } from './message.js';
import { smtpTransport } from './smtp.js';
import { twilioSms } from './twilio.js';
import { outboxWorker } from './worker.js';

const loopback = (host: string): boolean =>
  host === 'localhost' || host === '[::1]' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);

/**
 * The outbox the configuration asks for: SMTP and Twilio when configured; otherwise, outside production, the
 * local transports (files under .data/outbox in development, memory in test). Production configuration refuses to
 * start without SMTP_URL, and without SMS_PROVIDER unless SMS_ROUTES=off.
 */
export function outboxFromConfig(
  config: Config,
  deps: { database: Database; clock: Clock; logger: Logger; fetch: typeof fetch },
): Outbox {
  const settings = config.messages;
  // Production never prints a message: its configuration requires real transports for everything it sends.
  const local =
    settings.outboxDir && !config.production
      ? fileTransports(settings.outboxDir, settings.mailFrom, deps.logger)
      : memoryTransports();
  let mail: MailTransport = local.mail;
  if (settings.smtpUrl) {
    mail = smtpTransport({
      url: settings.smtpUrl,
      from: settings.mailFrom,
      requireTls: !loopback(new URL(settings.smtpUrl).hostname),
      ...(settings.smtpCa ? { ca: settings.smtpCa } : {}),
    });
  }
  let sms: SmsSender | undefined = settings.smsRoutes ? local.sms : undefined;
  if (settings.smsRoutes && settings.sms) {
    const { accountSid, authToken, from, messagingServiceSid, baseUrl } = settings.sms;
    sms = twilioSms({
      accountSid,
      authToken,
      fetch: deps.fetch,
      ...(from ? { from } : {}),
      ...(messagingServiceSid ? { messagingServiceSid } : {}),
      ...(baseUrl ? { baseUrl } : {}),
    });
  }
  const repository = sqlOutboxRepository(deps.database.db, deps.database.scope, { clock: deps.clock });
  const worker = outboxWorker({
    repository,
    mail,
    ...(sms ? { sms } : {}),
    clock: deps.clock,
    logger: deps.logger,
  });
  const outbox = createOutbox({
    repository,
    scope: deps.database.scope,
    worker,
    clock: deps.clock,
    logger: deps.logger,
    record: !config.production,
    pollMs: settings.outboxPollMs,
  });
  return {
    ...outbox,
    async close() {
      await outbox.close();
      await mail.close();
      await sms?.close();
    },
  };
}
