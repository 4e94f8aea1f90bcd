import { randomBytes } from 'node:crypto';
import { prefixedStore, type Clock, type Store } from '@shieldwall/core';
import type { MessageContent } from './message.js';
import type { ClaimedMessage, OutboxRecord, OutboxRepository } from './repository.js';

export interface StoreOutboxOptions {
  clock: Clock;
  /** How long a claim holds a message; far longer than one send's timeouts. Defaults to 60000. */
  leaseMs?: number;
  /** How long a record is kept, pending or not. Defaults to 7 days. */
  retentionMs?: number;
  /** Messages looked at past the oldest unfinished one, per claim. Defaults to 1000. */
  window?: number;
}

const forever = 10 * 365 * 24 * 3600_000;
// A number handed out by the sequence whose record is absent for this long was lost (expired or never written
// because its writer died): the scan moves past it.
const missingGraceMs = 30_000;

/**
 * The outbox on core's store (memory, or Redis when instances share it): for a deployment of the worker without the
 * app's database, and for tests of the transports and the worker. The app itself keeps its outbox in the database
 * (db/outbox.ts), where a message joins the transaction of the change that causes it; the store cannot. Messages are numbered by an atomic counter and kept as `outbox:m:<n>`; the scan starts after `outbox:low`,
 * the highest number below which every message is finished. A claim is `setIfAbsent` of `outbox:l:<n>` with the
 * lease as its TTL, then a second read of the record, so a message finished by another worker in between is not
 * sent again.
 */
export function storeOutboxRepository(store: Store, options: Readonly<StoreOutboxOptions>): OutboxRepository {
  const s = prefixedStore(store, 'outbox:');
  const { clock } = options;
  const leaseMs = options.leaseMs ?? 60_000;
  const retentionMs = options.retentionMs ?? 7 * 24 * 3600_000;
  const window = options.window ?? 1000;
  const owner = randomBytes(12).toString('base64url');
  const missingSince = new Map<number, number>();

  const numberOf = (id: string): number => Number(id.split('.')[0]);
  const read = async (n: number): Promise<OutboxRecord | undefined> => {
    const raw = await s.get(`m:${n}`);
    return raw === undefined ? undefined : (JSON.parse(raw) as OutboxRecord);
  };
  const write = (n: number, record: OutboxRecord): Promise<void> =>
    s.set(`m:${n}`, JSON.stringify(record), retentionMs);
  /** Runs `change` only while this worker still holds the message's lease. */
  const finish = async (claimed: ClaimedMessage, change: (record: OutboxRecord) => void) => {
    const n = numberOf(claimed.id);
    if ((await s.get(`l:${n}`)) !== owner) return;
    const record = await read(n);
    if (!record || record.state !== 'pending') return;
    change(record);
    await write(n, record);
    await s.delete(`l:${n}`);
  };

  return {
    async add(content: MessageContent) {
      const n = (await s.increment('seq', forever)).value;
      const id = `${n}.${randomBytes(6).toString('base64url')}`;
      const now = clock.now();
      await write(n, {
        id,
        channel: content.channel,
        to: content.to,
        state: 'pending',
        attempts: 0,
        dueAt: now,
        createdAt: now,
        content,
      });
      return id;
    },

    async claimDue(limit) {
      const now = clock.now();
      const low = Number((await s.get('low')) ?? 0);
      const top = Math.min(Number((await s.get('seq')) ?? 0), low + window);
      const claimed: ClaimedMessage[] = [];
      let newLow = low;
      let finishedSoFar = true;
      for (let n = low + 1; n <= top; n += 1) {
        const record = await read(n);
        if (!record || record.state !== 'pending') {
          if (!record) {
            const since = missingSince.get(n) ?? now;
            missingSince.set(n, since);
            if (now - since < missingGraceMs) finishedSoFar = false;
          }
          if (finishedSoFar) {
            newLow = n;
            missingSince.delete(n);
          }
          continue;
        }
        finishedSoFar = false;
        if (claimed.length >= limit || record.dueAt > now) continue;
        if (!(await s.setIfAbsent(`l:${n}`, owner, leaseMs))) continue;
        const fresh = await read(n);
        if (!fresh || fresh.state !== 'pending' || fresh.dueAt > now || !fresh.content) {
          await s.delete(`l:${n}`);
          continue;
        }
        claimed.push({
          id: fresh.id,
          createdAt: fresh.createdAt,
          attempts: fresh.attempts,
          content: fresh.content,
        });
      }
      if (newLow > low) await s.set('low', String(newLow), forever);
      return claimed;
    },

    async markSent(claimed, providerId) {
      await finish(claimed, (record) => {
        record.state = 'sent';
        record.attempts += 1;
        record.finishedAt = clock.now();
        delete record.content;
        if (providerId) record.providerId = providerId;
      });
    },

    async markFailed(claimed, failure) {
      await finish(claimed, (record) => {
        record.attempts += 1;
        record.lastError = failure.reason;
        if (failure.retryAt !== undefined) {
          record.dueAt = failure.retryAt;
        } else {
          record.state = 'dead';
          record.finishedAt = clock.now();
          delete record.content;
        }
      });
    },

    async find(id) {
      return read(numberOf(id));
    },
  };
}
