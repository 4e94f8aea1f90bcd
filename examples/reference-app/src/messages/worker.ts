import type { Clock, Logger } from '@shieldwall/core';
import {
  failureReason,
  PermanentDeliveryError,
  type Delivery,
  type MailTransport,
  type SmsSender,
} from './message.js';
import type { ClaimedMessage, OutboxRepository } from './repository.js';

export interface OutboxWorkerOptions {
  repository: OutboxRepository;
  mail: MailTransport;
  /** Absent when the SMS routes are off: an SMS then dead-letters at once. */
  sms?: SmsSender;
  clock: Clock;
  logger: Logger;
  /** Attempts before a message is dead-lettered. Defaults to 8 (about 2 hours of back-off). */
  maxAttempts?: number;
  /** The first retry's delay; each next one doubles, up to `maxDelayMs`. Defaults to 30000 and 3600000. */
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** Messages claimed per round. Defaults to 20. */
  batch?: number;
}

export interface DeliveryRound {
  sent: number;
  retried: number;
  dead: number;
}

export interface OutboxWorker {
  /** Claims what is due and delivers it; rounds never overlap in one process. */
  runOnce(): Promise<DeliveryRound>;
}

/**
 * Sends what the outbox holds: claims due messages with a lease, hands each to its transport, and marks it sent,
 * schedules a retry with exponential back-off, or dead-letters it (a permanent refusal, or `maxAttempts` failures).
 * Logs carry the outbox id, the channel and the failure's code, never a body, link or one-time code.
 */
export function outboxWorker(options: Readonly<OutboxWorkerOptions>): OutboxWorker {
  const { repository, clock, logger } = options;
  const maxAttempts = options.maxAttempts ?? 8;
  const baseDelayMs = options.baseDelayMs ?? 30_000;
  const maxDelayMs = options.maxDelayMs ?? 3_600_000;
  const batch = options.batch ?? 20;
  let current: Promise<DeliveryRound> | undefined;
  let again = false;

  const deliver = (message: ClaimedMessage) => {
    const delivery: Delivery = { id: message.id, createdAt: message.createdAt, content: message.content };
    if (message.content.channel === 'email')
      return options.mail.send(delivery as Delivery & { content: typeof message.content });
    if (!options.sms) return Promise.reject(new PermanentDeliveryError('sms_disabled'));
    return options.sms.send(delivery as Delivery & { content: typeof message.content });
  };

  const round = async (): Promise<DeliveryRound> => {
    const result: DeliveryRound = { sent: 0, retried: 0, dead: 0 };
    for (const message of await repository.claimDue(batch)) {
      const channel = message.content.channel;
      try {
        const { providerId } = await deliver(message);
        await repository.markSent(message, providerId);
        result.sent += 1;
        logger.info('outbox message sent', { id: message.id, channel });
      } catch (error) {
        const reason = failureReason(error);
        const attempts = message.attempts + 1;
        if (error instanceof PermanentDeliveryError || attempts >= maxAttempts) {
          await repository.markFailed(message, { reason });
          result.dead += 1;
          logger.error('outbox message dead-lettered', { id: message.id, channel, attempts, reason });
        } else {
          const delay = Math.min(maxDelayMs, baseDelayMs * 2 ** (attempts - 1));
          await repository.markFailed(message, { reason, retryAt: clock.now() + delay });
          result.retried += 1;
          logger.warn('outbox delivery failed; will retry', { id: message.id, channel, attempts, reason });
        }
      }
    }
    return result;
  };

  return {
    runOnce() {
      // A call during a round asks for one more: a message written after this round's scan is not left for the
      // next poll.
      if (current) {
        again = true;
        return current;
      }
      current = (async () => {
        const total: DeliveryRound = { sent: 0, retried: 0, dead: 0 };
        try {
          do {
            again = false;
            const result = await round();
            total.sent += result.sent;
            total.retried += result.retried;
            total.dead += result.dead;
          } while (again);
          return total;
        } finally {
          current = undefined;
        }
      })();
      return current;
    },
  };
}
