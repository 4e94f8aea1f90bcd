import { createTransport } from 'nodemailer';
import { PermanentDeliveryError, type EmailContent, type MailTransport } from './message.js';

export interface SmtpOptions {
  /** smtp://[user:pass@]host[:587] (STARTTLS) or smtps://[user:pass@]host[:465] (TLS from the first byte). */
  url: string;
  /** The From address, e.g. `Shieldwall <no-reply@example.com>`. */
  from: string;
  /**
   * Refuse to send over a connection that did not upgrade with STARTTLS (smtp:// only). The app turns it on for
   * every host but loopback, where a local relay may listen without TLS.
   */
  requireTls: boolean;
  /** PEM of a private CA that signed the server's certificate. Verification is never turned off. */
  ca?: string;
  /** Connection, greeting and socket timeouts; well under the outbox lease. Defaults to 15000. */
  timeoutMs?: number;
}

/** The domain of the From address: Message-IDs are `<outbox id>@<domain>`, as RFC 5322 suggests. */
function senderDomain(from: string): string {
  const match = /@([A-Za-z0-9.-]+)>?\s*$/.exec(from);
  return match?.[1] ?? 'localhost';
}

/**
 * E-mail over SMTP with nodemailer. A 5xx answer to the envelope or the message (unknown mailbox, rejected
 * content) is permanent; everything else (connection refused, timeouts, 4xx, a failed login) is retried, since
 * it fails every message alike and an operator can fix it.
 */
export function smtpTransport(options: Readonly<SmtpOptions>): MailTransport {
  const url = new URL(options.url);
  const secure = url.protocol === 'smtps:';
  const timeoutMs = options.timeoutMs ?? 15_000;
  const transporter = createTransport({
    host: url.hostname.replace(/^\[|\]$/g, ''),
    port: url.port ? Number(url.port) : secure ? 465 : 587,
    secure,
    requireTLS: !secure && options.requireTls,
    ...(url.username
      ? { auth: { user: decodeURIComponent(url.username), pass: decodeURIComponent(url.password) } }
      : {}),
    connectionTimeout: timeoutMs,
    greetingTimeout: timeoutMs,
    socketTimeout: timeoutMs,
    tls: { rejectUnauthorized: true, ...(options.ca ? { ca: options.ca } : {}) },
  });
  const domain = senderDomain(options.from);

  return {
    async send({ id, createdAt, content }) {
      const mail: EmailContent = content;
      try {
        const info = await transporter.sendMail({
          from: options.from,
          to: mail.to,
          subject: mail.subject,
          text: mail.text,
          ...(mail.html ? { html: mail.html } : {}),
          messageId: `<${id}@${domain}>`,
          date: new Date(createdAt),
          ...(mail.listUnsubscribe ? { list: { unsubscribe: mail.listUnsubscribe } } : {}),
        });
        return { providerId: info.messageId };
      } catch (error) {
        const { code, responseCode } = error as { code?: string; responseCode?: number };
        if (
          (code === 'EENVELOPE' || code === 'EMESSAGE') &&
          typeof responseCode === 'number' &&
          responseCode >= 500
        ) {
          throw new PermanentDeliveryError(`smtp ${responseCode}`);
        }
        throw error;
      }
    },
    async close() {
      transporter.close();
    },
  };
}
