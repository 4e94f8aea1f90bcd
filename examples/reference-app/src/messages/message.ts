/** An e-mail as the outbox keeps it until it is sent: rendered, with the headers a mail provider expects. */
export interface EmailContent {
  channel: 'email';
  to: string;
  subject: string;
  text: string;
  html?: string;
  /**
   * RFC 2369/8058 unsubscribe URL, for messages a person can opt out of (notices, never codes or links they asked
   * for: those are transactional and carry none).
   */
  listUnsubscribe?: string;
}

/** An SMS: the number is E.164, checked before the message is written. */
export interface SmsContent {
  channel: 'sms';
  to: string;
  text: string;
}

export type MessageContent = EmailContent | SmsContent;

/** A message the worker is about to deliver: its content plus what makes retries recognisable downstream. */
export interface Delivery {
  /** The outbox id: the same on every attempt, so the Message-ID repeats and a provider can spot a duplicate. */
  id: string;
  /** When the message was written to the outbox (the e-mail's Date header). */
  createdAt: number;
  content: MessageContent;
}

/** Hands one message to a provider; resolves with the provider's id for it. */
export interface MailTransport {
  send(delivery: Delivery & { content: EmailContent }): Promise<{ providerId?: string }>;
  close(): Promise<void>;
}

export interface SmsSender {
  send(delivery: Delivery & { content: SmsContent }): Promise<{ providerId?: string }>;
  close(): Promise<void>;
}

/**
 * A refusal that retrying cannot fix (an unknown mailbox, a number the provider rejects, a malformed request): the
 * message goes straight to the dead letters. Every other error is retried with back-off.
 */
export class PermanentDeliveryError extends Error {
  override readonly name = 'PermanentDeliveryError';
  /** A short, stable reason (a status or provider code): logged and kept on the dead letter, never the body. */
  readonly reason: string;
  constructor(reason: string) {
    super(`permanent delivery failure: ${reason}`);
    this.reason = reason;
  }
}

/** What may be logged about a failed attempt: a code, never the message, its link or its one-time code. */
export function failureReason(error: unknown): string {
  if (error instanceof PermanentDeliveryError) return error.reason;
  const { code, responseCode, name } = (error ?? {}) as {
    code?: unknown;
    responseCode?: unknown;
    name?: unknown;
  };
  if (typeof code === 'string' && /^[A-Z0-9_]{1,32}$/.test(code))
    return typeof responseCode === 'number' ? `${code} ${responseCode}` : code;
  if (typeof name === 'string' && /^[A-Za-z]{1,40}$/.test(name)) return name;
  return 'error';
}

/** E.164: a plus, a non-zero country digit, at most 15 digits in all. */
export const e164 = /^\+[1-9]\d{6,14}$/;
