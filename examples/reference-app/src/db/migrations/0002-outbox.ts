import { sql, type Kysely } from 'kysely';
import type { Migration } from 'kysely/migration';

// The message outbox (issue 16), in the database so a message commits or rolls back with the change that causes
// it. A pending message keeps its body; a sent or dead one drops it (codes and links are not kept), so the check
// ties `content` to the state. A claim is a lease (`lease_until`), taken with FOR UPDATE SKIP LOCKED.
const up = [
  sql`create table outbox_messages (
    id uuid primary key,
    channel text not null check (channel in ('email', 'sms')),
    recipient text not null check (length(recipient) between 3 and 320),
    state text not null default 'pending' check (state in ('pending', 'sent', 'dead')),
    attempts integer not null default 0 check (attempts >= 0),
    due_at timestamptz not null,
    created_at timestamptz not null,
    content jsonb,
    lease_owner text,
    lease_until timestamptz,
    last_error text check (length(last_error) <= 200),
    provider_id text check (length(provider_id) <= 200),
    finished_at timestamptz,
    check ((state = 'pending') = (content is not null)),
    check ((state = 'pending') = (finished_at is null))
  )`,
  // What a claim scans: only pending rows, oldest due first.
  sql`create index outbox_messages_due_idx on outbox_messages (due_at) where state = 'pending'`,
  // What the retention sweep deletes.
  sql`create index outbox_messages_finished_idx on outbox_messages (finished_at) where state <> 'pending'`,
];

export const outbox: Migration = {
  async up(db: Kysely<unknown>) {
    for (const statement of up) await statement.execute(db);
  },
  async down(db: Kysely<unknown>) {
    await sql`drop table outbox_messages`.execute(db);
  },
};
