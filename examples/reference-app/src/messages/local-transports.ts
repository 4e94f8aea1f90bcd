import { mkdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createTransport } from 'nodemailer';
import type { Logger } from '@shieldwall/core';
import type { Delivery, EmailContent, MailTransport, SmsContent, SmsSender } from './message.js';

// The embedded transports of `npm start`: nothing to install, and a person trying the app can read the message and
// click its link. Never used in production (the configuration requires SMTP_URL and an SMS provider there).

/** Written under a temporary name and renamed: a file that appears is complete. */
async function writeWhole(file: string, data: string | Buffer): Promise<void> {
  await writeFile(`${file}.partial`, data, { mode: 0o600 });
  await rename(`${file}.partial`, file);
}

const fileName = (delivery: Delivery, extension: string): string =>
  `${new Date(delivery.createdAt).toISOString().replace(/[:.]/g, '-')}-${delivery.id}.${extension}`;

/**
 * Writes each e-mail as a real RFC 5322 message (`.eml`, built by nodemailer as SMTP would send it: open it in
 * any mail client) and each SMS as `.txt`, under `dir`, and prints it to the log.
 */
export function fileTransports(
  dir: string,
  from: string,
  logger: Logger,
): { mail: MailTransport; sms: SmsSender } {
  const composer = createTransport({ streamTransport: true, buffer: true, newline: 'unix' });
  const ready = mkdir(dir, { recursive: true, mode: 0o700 });
  return {
    mail: {
      async send(delivery) {
        const content: EmailContent = delivery.content;
        const info = await composer.sendMail({
          from,
          to: content.to,
          subject: content.subject,
          text: content.text,
          ...(content.html ? { html: content.html } : {}),
          messageId: `<${delivery.id}@localhost>`,
          date: new Date(delivery.createdAt),
        });
        await ready;
        const file = join(dir, fileName(delivery, 'eml'));
        // `buffer: true`: the whole message as a Buffer.
        await writeWhole(file, info.message as Buffer);
        logger.info('e-mail written to the local outbox', {
          to: content.to,
          subject: content.subject,
          text: content.text,
          file,
        });
        return { providerId: file };
      },
      async close() {},
    },
    sms: {
      async send(delivery) {
        const content: SmsContent = delivery.content;
        await ready;
        const file = join(dir, fileName(delivery, 'txt'));
        await writeWhole(file, `To: ${content.to}\n\n${content.text}\n`);
        logger.info('SMS written to the local outbox', { to: content.to, text: content.text, file });
        return { providerId: file };
      },
      async close() {},
    },
  };
}

/** NODE_ENV=test without a provider: delivered messages are kept in memory, so tests can count deliveries. */
export function memoryTransports(): { mail: MailTransport; sms: SmsSender; delivered: Delivery[] } {
  const delivered: Delivery[] = [];
  const keep = async (delivery: Delivery) => {
    delivered.push(structuredClone(delivery));
    return {};
  };
  return {
    delivered,
    mail: { send: keep, close: async () => {} },
    sms: { send: keep, close: async () => {} },
  };
}
