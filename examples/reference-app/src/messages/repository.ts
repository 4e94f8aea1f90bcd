import type { MessageContent } from './message.js';

export type OutboxState = 'pending' | 'sent' | 'dead';

/** A message in the outbox. Once it is sent or dead its body is dropped: codes and links are not kept. */
export interface OutboxRecord {
  id: string;
  channel: MessageContent['channel'];
  to: string;
  state: OutboxState;
  /** Failed attempts so far (a sent message counts its last, successful one too). */
  attempts: number;
  /** Not before this time (ms since the epoch): now for a new message, later after a failure (back-off). */
  dueAt: number;
  createdAt: number;
  /** Present while pending. */
  content?: MessageContent;
  /** The last failure's reason (a status or code, never the body). */
  lastError?: string;
  providerId?: string;
  finishedAt?: number;
}

/** A pending message leased to the worker that claimed it. */
export interface ClaimedMessage {
  id: string;
  createdAt: number;
  attempts: number;
  content: MessageContent;
}

/**
 * Where the outbox keeps its messages. `claimDue` leases each message it returns to this repository's worker for
 * the lease time: no other worker (in this process or another instance) gets it until the lease ends or the
 * message is marked, so two instances never send one message twice.
 */
export interface OutboxRepository {
  add(content: MessageContent): Promise<string>;
  claimDue(limit: number): Promise<ClaimedMessage[]>;
  markSent(claimed: ClaimedMessage, providerId?: string): Promise<void>;
  /** `retryAt` schedules another attempt; without it the message is dead-lettered. */
  markFailed(claimed: ClaimedMessage, failure: { reason: string; retryAt?: number }): Promise<void>;
  find(id: string): Promise<OutboxRecord | undefined>;
}
