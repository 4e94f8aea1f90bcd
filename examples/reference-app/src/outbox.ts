import type { Clock, Logger } from '@shieldwall/core';
import type { MessageContent } from './messages/message.js';
import type { OutboxRepository } from './messages/repository.js';
import type { TransactionScope } from './db/transaction-scope.js';
import type { DeliveryRound, OutboxWorker } from './messages/worker.js';

/** A message as it was written to the outbox (kept in memory outside production, for tests and local use). */
export interface OutboxMessage {
  /** The outbox id. */
  id: string;
  channel: MessageContent['channel'];
  to: string;
  /** E-mail only. */
  subject?: string;
  text: string;
  html?: string;
  /** When it was written to the outbox (it is delivered after that, by the worker). */
  sentAt: number;
}

/**
 * Where the app's e-mails and SMS go. `send` only writes the message to the durable outbox and returns: the
 * request path never waits on SMTP or an SMS provider. A worker in every instance delivers what is due, with
 * retries, back-off and dead letters (messages/worker.ts), and leases, so two instances never send one message
 * twice.
 */
export interface Outbox {
  /** Writes the message; inside a transaction of the database's scope, as part of that transaction. */
  send(message: MessageContent): Promise<void>;
  /** Outside production: every message written, newest last. Empty in production (bodies hold codes and links). */
  readonly messages: readonly OutboxMessage[];
  /** The newest message to an address, for tests. */
  latestTo(to: string): OutboxMessage | undefined;
  /** Runs a delivery round now and resolves when it is done. */
  deliverDue(): Promise<DeliveryRound>;
  readonly repository: OutboxRepository;
  /** Stops polling and waits for the round in flight. */
  close(): Promise<void>;
}

export interface OutboxOptions {
  repository: OutboxRepository;
  /**
   * The database's transaction scope: a message sent inside a transaction is delivered only once that commits.
   * Without one (a repository outside the database), delivery is asked for at once.
   */
  scope?: Pick<TransactionScope, 'afterCommit'>;
  worker: OutboxWorker;
  clock: Clock;
  logger: Logger;
  /** Keep what was written in `messages` (never in production). */
  record: boolean;
  /** How often the worker looks for due messages (retries, other instances' messages); 0 polls never. */
  pollMs: number;
}

const recordLimit = 1000;

export function createOutbox(options: Readonly<OutboxOptions>): Outbox {
  const { repository, worker, clock, logger } = options;
  const messages: OutboxMessage[] = [];
  let round: Promise<unknown> = Promise.resolve();
  let closed = false;

  const runRound = (): Promise<DeliveryRound> => {
    const next = worker.runOnce();
    round = next.catch((error: unknown) =>
      // A store or database outage: the messages stay in the outbox for the next round.
      logger.error('outbox round failed', { error: (error as Error).name }),
    );
    return next;
  };
  const timer =
    options.pollMs > 0 ? setInterval(() => void runRound().catch(() => {}), options.pollMs) : undefined;
  timer?.unref();

  return {
    messages,
    repository,
    async send(message) {
      const id = await repository.add(message);
      const written = () => {
        if (options.record) {
          messages.push({ ...structuredClone(message), id, sentAt: clock.now() });
          if (messages.length > recordLimit) messages.shift();
        }
        // Deliver soon, after this request's response: the caller never waits on a provider.
        setImmediate(() => {
          if (!closed) void runRound().catch(() => {});
        });
      };
      // Inside a transaction the message exists (for the worker, and for `messages`) only once that commits.
      if (options.scope) options.scope.afterCommit(written);
      else written();
    },
    latestTo(to) {
      for (let i = messages.length - 1; i >= 0; i -= 1) if (messages[i]!.to === to) return messages[i];
      return undefined;
    },
    deliverDue: runRound,
    async close() {
      closed = true;
      if (timer) clearInterval(timer);
      await round;
    },
  };
}
