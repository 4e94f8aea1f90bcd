import type { Logger } from '@shieldwall/core';

export interface OutboxMessage {
  channel: 'email' | 'sms';
  to: string;
  subject?: string;
  text: string;
  sentAt: number;
}

/**
 * Where the app's e-mails and SMS go. The reference app has no mail or SMS provider: in development the outbox
 * prints each message to the log (SPEC.md), and tests read `messages`. A deployment replaces it with a real
 * sender behind the same `send`.
 */
export interface Outbox {
  send(message: Omit<OutboxMessage, 'sentAt'>): Promise<void>;
  readonly messages: readonly OutboxMessage[];
  /** The newest message to an address, for tests. */
  latestTo(to: string): OutboxMessage | undefined;
}

export function loggingOutbox(logger: Logger, options: { printBodies: boolean; now?: () => number }): Outbox {
  const messages: OutboxMessage[] = [];
  const now = options.now ?? Date.now;
  return {
    messages,
    async send(message) {
      messages.push({ ...message, sentAt: now() });
      // Message bodies hold one-time codes and reset links: printed only in development, where they are the
      // only way to read them.
      if (options.printBodies) logger.info('outbox message', { ...message });
      else logger.info('outbox message', { channel: message.channel });
    },
    latestTo(to) {
      for (let i = messages.length - 1; i >= 0; i -= 1) if (messages[i]!.to === to) return messages[i];
      return undefined;
    },
  };
}
