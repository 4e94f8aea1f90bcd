import { randomBytes, randomUUID } from 'node:crypto';
import { sql, type RawBuilder } from 'kysely';
import type { Clock } from '@shieldwall/core';
import type { MessageContent } from '../messages/message.js';
import type { ClaimedMessage, OutboxRecord, OutboxRepository } from '../messages/repository.js';
import { isUuid } from './ids.js';
import type { Db } from './schema.js';
import type { TransactionScope } from './transaction-scope.js';

export interface SqlOutboxOptions {
  clock: Clock;
  /** How long a claim holds a message; far longer than one send's timeouts. Defaults to 60000. */
  leaseMs?: number;
  /** How long a sent or dead message's row is kept (its body is dropped at once). Defaults to 7 days. */
  retentionMs?: number;
}

interface OutboxRow {
  id: string;
  channel: 'email' | 'sms';
  recipient: string;
  state: 'pending' | 'sent' | 'dead';
  attempts: number;
  due_at: Date;
  created_at: Date;
  content: unknown;
  last_error: string | null;
  provider_id: string | null;
  finished_at: Date | null;
}

const ms = (date: Date | string): number => new Date(date).getTime();

function toRecord(row: OutboxRow): OutboxRecord {
  return {
    id: row.id,
    channel: row.channel,
    to: row.recipient,
    state: row.state,
    attempts: row.attempts,
    dueAt: ms(row.due_at),
    createdAt: ms(row.created_at),
    ...(row.content !== null ? { content: row.content as MessageContent } : {}),
    ...(row.last_error !== null ? { lastError: row.last_error } : {}),
    ...(row.provider_id !== null ? { providerId: row.provider_id } : {}),
    ...(row.finished_at !== null ? { finishedAt: ms(row.finished_at) } : {}),
  };
}

const sweepEveryMs = 60_000;

/**
 * The outbox in the app's database. `add` writes through the scope's current transaction when there is one, so a
 * message commits or rolls back with the change that causes it (registration and its verification e-mail). A
 * claim takes due rows with `FOR UPDATE SKIP LOCKED` and sets a lease on them in the same statement: two workers
 * claiming at once get disjoint rows, and a row stays with its claimer until the lease ends or it is marked. Marks
 * apply only while this worker still holds the lease, so a worker whose lease ran out cannot overwrite the state
 * set by the worker that took the message over.
 */
export function sqlOutboxRepository(
  db: Db,
  scope: TransactionScope,
  options: Readonly<SqlOutboxOptions>,
): OutboxRepository {
  const { clock } = options;
  const leaseMs = options.leaseMs ?? 60_000;
  const retentionMs = options.retentionMs ?? 7 * 24 * 3600_000;
  const owner = randomBytes(12).toString('base64url');
  let sweptAt = -Infinity;

  /** Drops finished rows past retention, a bounded batch at a time, at most once a minute per worker. */
  const sweep = async (now: number) => {
    if (now - sweptAt < sweepEveryMs) return;
    sweptAt = now;
    await sql`delete from outbox_messages where id in (
      select id from outbox_messages where state <> 'pending' and finished_at < ${new Date(now - retentionMs)}
      order by finished_at limit 500)`.execute(db);
  };

  /** Runs `set` on the row only while this worker's lease on it holds. */
  const finish = (claimed: ClaimedMessage, set: RawBuilder<unknown>) =>
    sql`update outbox_messages set ${set}, lease_owner = null, lease_until = null
      where id = ${claimed.id} and state = 'pending' and lease_owner = ${owner}`.execute(db);

  return {
    async add(content: MessageContent) {
      const id = randomUUID();
      const now = new Date(clock.now());
      await sql`insert into outbox_messages (id, channel, recipient, due_at, created_at, content)
        values (${id}, ${content.channel}, ${content.to}, ${now}, ${now}, ${JSON.stringify(content)}::jsonb)`.execute(
        scope.runner(),
      );
      return id;
    },

    async claimDue(limit) {
      const now = clock.now();
      const at = new Date(now);
      const rows = await sql<{ id: string; created_at: Date; attempts: number; content: unknown }>`
        update outbox_messages set lease_owner = ${owner}, lease_until = ${new Date(now + leaseMs)}
        where id in (
          select id from outbox_messages
          where state = 'pending' and due_at <= ${at} and (lease_until is null or lease_until <= ${at})
          order by due_at, created_at
          limit ${limit}
          for update skip locked)
        returning id, created_at, attempts, content`.execute(db);
      await sweep(now);
      return rows.rows
        .map((row) => ({
          id: row.id,
          createdAt: ms(row.created_at),
          attempts: row.attempts,
          content: row.content as MessageContent,
        }))
        .sort((a, b) => a.createdAt - b.createdAt);
    },

    async markSent(claimed, providerId) {
      await finish(
        claimed,
        sql`state = 'sent', attempts = attempts + 1, content = null, finished_at = ${new Date(clock.now())},
          provider_id = ${providerId?.slice(0, 200) ?? null}`,
      );
    },

    async markFailed(claimed, failure) {
      const reason = failure.reason.slice(0, 200);
      await finish(
        claimed,
        failure.retryAt !== undefined
          ? sql`attempts = attempts + 1, last_error = ${reason}, due_at = ${new Date(failure.retryAt)}`
          : sql`state = 'dead', attempts = attempts + 1, last_error = ${reason}, content = null,
              finished_at = ${new Date(clock.now())}`,
      );
    },

    async find(id) {
      if (!isUuid(id)) return undefined;
      const row = await db.selectFrom('outbox_messages').selectAll().where('id', '=', id).executeTakeFirst();
      return row ? toRecord(row) : undefined;
    },
  };
}
