import { sql, type Kysely } from 'kysely';
import type { Migration } from 'kysely/migration';

// A verified phone number on the account (issue 18): from an SMS code the signed-in user checked, or from an
// OpenID provider that vouches for it (Telegram's `phone_number`). Only verified numbers are stored, so the number
// and its verification time come and go together. One account per number: the unique index decides, not a lookup.
const up = [
  sql`alter table users add column phone text check (phone ~ '^\\+[1-9][0-9]{6,14}$')`,
  sql`alter table users add column phone_verified_at timestamptz`,
  sql`alter table users add constraint users_phone_verified_check
    check ((phone is null) = (phone_verified_at is null))`,
  sql`create unique index users_phone_key on users (phone) where phone is not null`,
];

export const usersPhone: Migration = {
  async up(db: Kysely<unknown>) {
    for (const statement of up) await statement.execute(db);
  },
  async down(db: Kysely<unknown>) {
    await sql`drop index users_phone_key`.execute(db);
    await sql`alter table users drop constraint users_phone_verified_check`.execute(db);
    await sql`alter table users drop column phone_verified_at`.execute(db);
    await sql`alter table users drop column phone`.execute(db);
  },
};
