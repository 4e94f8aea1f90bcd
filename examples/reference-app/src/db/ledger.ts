import { sql } from 'kysely';
import type { Db } from './schema.js';

export type LedgerKind = 'deposit' | 'withdrawal' | 'trade' | 'transfer';
export const ledgerKinds: readonly LedgerKind[] = ['deposit', 'withdrawal', 'trade', 'transfer'];

const dayMs = 24 * 3600_000;

export interface Ledger {
  /** Records a transaction (amount in the smallest currency unit, positive). */
  record(entry: { userId: string; amount: number; kind: LedgerKind; at: number }): Promise<void>;
  /** 002's participation figure: the user's volume over the 30 days before `now`, summed in SQL. */
  volume30d(userId: string, now: number): Promise<number>;
}

/** The transaction ledger. The app only reads it; a payment system (or scripts/ledger) writes it. */
export function sqlLedger(db: Db): Ledger {
  return {
    async record({ userId, amount, kind, at }) {
      await db
        .insertInto('ledger_entries')
        .values({ user_id: userId, amount, kind, occurred_at: new Date(at) })
        .execute();
    },
    async volume30d(userId, now) {
      const row = await db
        .selectFrom('ledger_entries')
        .select(sql<string | number>`coalesce(sum(amount), 0)`.as('volume'))
        .where('user_id', '=', userId)
        .where('occurred_at', '>', new Date(now - 30 * dayMs))
        .where('occurred_at', '<=', new Date(now))
        .executeTakeFirstOrThrow();
      return Number(row.volume);
    },
  };
}
