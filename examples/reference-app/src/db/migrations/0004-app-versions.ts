import { sql, type Kysely } from 'kysely';
import type { Migration } from 'kysely/migration';

// The mobile app-version registry (issue 13), in the database so that every instance reads one truth: each build's
// key (the public JWK embedded in the app, the private key sealed under WALLET_KEKS), the lowest supported
// version per platform, and versions withdrawn one by one. Forcing an upgrade is one row, seen by every instance
// within its refresh interval (APP_VERSIONS_REFRESH_MS).
const version = `'^[0-9]{1,6}(\\.[0-9]{1,6}){0,3}$'`;
const platform = `'^[a-z][a-z0-9_-]{0,31}$'`;
const up = [
  sql`create table app_version_keys (
    kid text primary key check (length(kid) between 1 and 128),
    platform text not null check (platform ~ ${sql.raw(platform)}),
    version text not null check (version ~ ${sql.raw(version)}),
    public_jwk jsonb not null,
    sealed_private_key text not null,
    kek_id text not null check (kek_id ~ '^[A-Za-z0-9._-]{1,64}$'),
    created_at timestamptz not null,
    unique (platform, version),
    check (left(sealed_private_key, length(kek_id) + 6) = 'swe1.' || kek_id || '.')
  )`,
  sql`create table app_platforms (
    platform text primary key check (platform ~ ${sql.raw(platform)}),
    min_version text check (min_version ~ ${sql.raw(version)}),
    upgrade_url text check (upgrade_url ~ '^[a-z][a-z0-9+.-]*://' and length(upgrade_url) <= 2048),
    updated_at timestamptz not null
  )`,
  sql`create table app_version_revocations (
    platform text not null check (platform ~ ${sql.raw(platform)}),
    version text not null check (version ~ ${sql.raw(version)}),
    revoked_at timestamptz not null,
    primary key (platform, version)
  )`,
];

export const appVersions: Migration = {
  async up(db: Kysely<unknown>) {
    for (const statement of up) await statement.execute(db);
  },
  async down(db: Kysely<unknown>) {
    for (const table of ['app_version_revocations', 'app_platforms', 'app_version_keys'])
      await sql`drop table ${sql.table(table)}`.execute(db);
  },
};
