import { sql, type Kysely } from 'kysely';
import type { Migration } from 'kysely/migration';

// Constraints are the source of truth: e-mails unique case-insensitively, one account per provider identity, a
// sealed value always names the KEK it is under. Statements run one by one (PGlite takes one per query).
const up = [
  sql`create table users (
    id uuid primary key,
    email text not null check (email = lower(email) and length(email) between 3 and 254),
    email_verified boolean not null default false,
    password_hash text,
    referral_code text not null unique check (referral_code ~ '^[0-9A-Z]{10}$'),
    referred_by uuid references users (id) on delete set null,
    created_at timestamptz not null
  )`,
  sql`create unique index users_email_lower_key on users (lower(email))`,
  sql`create index users_referred_by_idx on users (referred_by, created_at) where referred_by is not null`,
  sql`create table user_identities (
    provider text not null check (provider ~ '^[a-z][a-z0-9_-]{0,31}$'),
    subject text not null check (length(subject) between 1 and 255),
    user_id uuid not null references users (id) on delete cascade,
    linked_at timestamptz not null,
    primary key (provider, subject)
  )`,
  sql`create index user_identities_user_idx on user_identities (user_id)`,
  sql`create table wallets (
    id uuid primary key,
    user_id uuid not null references users (id) on delete restrict,
    address text not null unique check (address ~ '^0x[0-9a-fA-F]{40}$'),
    sealed_key text not null,
    kek_id text not null check (kek_id ~ '^[A-Za-z0-9._-]{1,64}$'),
    version integer not null default 1 check (version >= 1),
    created_at timestamptz not null,
    check (left(sealed_key, length(kek_id) + 6) = 'swe1.' || kek_id || '.')
  )`,
  sql`create index wallets_user_idx on wallets (user_id, created_at)`,
  sql`create table mfa_bindings (
    user_id uuid primary key references users (id) on delete cascade,
    device_id text not null check (length(device_id) between 1 and 128),
    sealed_secret text not null,
    kek_id text not null check (kek_id ~ '^[A-Za-z0-9._-]{1,64}$'),
    version integer not null default 1 check (version >= 1),
    enabled_at timestamptz not null,
    check (left(sealed_secret, length(kek_id) + 6) = 'swe1.' || kek_id || '.')
  )`,
  sql`create table activities (
    id text primary key check (id ~ '^[A-Za-z0-9_-]{1,64}$'),
    title text not null check (length(title) between 1 and 200),
    min_volume_30d bigint not null check (min_volume_30d >= 0)
  )`,
  sql`create table activity_participants (
    activity_id text not null references activities (id) on delete cascade,
    user_id uuid not null references users (id) on delete cascade,
    joined_at timestamptz not null,
    primary key (activity_id, user_id)
  )`,
  sql`create table ledger_entries (
    id bigint generated always as identity primary key,
    user_id uuid not null references users (id) on delete restrict,
    amount bigint not null check (amount > 0),
    kind text not null check (kind in ('deposit', 'withdrawal', 'trade', 'transfer')),
    occurred_at timestamptz not null
  )`,
  sql`create index ledger_entries_user_time_idx on ledger_entries (user_id, occurred_at)`,
  // The catalogue 002's thresholds apply to: 1,000.00 of 30-day volume, in cents.
  sql`insert into activities (id, title, min_volume_30d) values
    ('spring-bonus', 'Spring bonus', 100000),
    ('summer-cup', 'Summer trading cup', 100000),
    ('welcome-quest', 'Welcome quest', 0)`,
];

export const initial: Migration = {
  async up(db: Kysely<unknown>) {
    for (const statement of up) await statement.execute(db);
  },
  async down(db: Kysely<unknown>) {
    for (const table of [
      'ledger_entries',
      'activity_participants',
      'activities',
      'mfa_bindings',
      'wallets',
      'user_identities',
      'users',
    ])
      await sql`drop table ${sql.table(table)}`.execute(db);
  },
};
