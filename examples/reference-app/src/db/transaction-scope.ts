import { AsyncLocalStorage } from 'node:async_hooks';
import type { Transaction } from 'kysely';
import type { Db, Tables } from './schema.js';

export type Runner = Db | Transaction<Tables>;

/**
 * The transaction a change is being written in, for the writes that must commit or roll back with it (the outbox's
 * messages) but are made by code that cannot be handed the transaction: a package callback such as
 * @shieldwall/passwords' `send`. One scope per database, so apps sharing a process never see each other's.
 */
export interface TransactionScope {
  /** Runs `work` in a new transaction, with that transaction as the scope's current one; then runs the hooks. */
  transaction<T>(work: (tx: Transaction<Tables>) => Promise<T>): Promise<T>;
  /** The transaction in progress in this async context, or the database itself outside one. */
  runner(): Runner;
  /** Runs `hook` once the current transaction commits (never if it rolls back); at once outside a transaction. */
  afterCommit(hook: () => void): void;
}

interface Open {
  tx: Transaction<Tables>;
  hooks: Array<() => void>;
  /** Set once committed or rolled back: work the transaction started (timers, promises) keeps its context. */
  ended: boolean;
}

export function transactionScope(db: Db): TransactionScope {
  const current = new AsyncLocalStorage<Open>();
  return {
    async transaction(work) {
      const open = current.getStore();
      // Nested: one transaction, the outer one (its rollback covers the inner work too).
      if (open && !open.ended) return work(open.tx);
      const hooks: Array<() => void> = [];
      let scope: Open | undefined;
      try {
        const result = await db
          .transaction()
          .execute((tx) => current.run((scope = { tx, hooks, ended: false }), () => work(tx)));
        scope!.ended = true;
        for (const hook of hooks) hook();
        return result;
      } finally {
        if (scope) scope.ended = true;
      }
    },
    runner() {
      const open = current.getStore();
      return open && !open.ended ? open.tx : db;
    },
    afterCommit(hook) {
      const open = current.getStore();
      if (open && !open.ended) open.hooks.push(hook);
      else hook();
    },
  };
}
