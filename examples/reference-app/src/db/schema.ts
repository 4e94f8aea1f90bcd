import type { Generated, Kysely } from 'kysely';

// The tables as TypeScript sees them. The migrations (./migrations) are the source of truth: constraints live
// there, and these types follow them.

export interface UsersTable {
  id: string;
  /** Stored lower-cased; unique on lower(email). */
  email: string;
  email_verified: boolean;
  password_hash: string | null;
  referral_code: string;
  referred_by: string | null;
  created_at: Date;
  /** A verified E.164 number (migration 0003); unique where set, and set exactly when `phone_verified_at` is. */
  phone: string | null;
  phone_verified_at: Date | null;
}

export interface UserIdentitiesTable {
  provider: string;
  subject: string;
  user_id: string;
  linked_at: Date;
}

export interface WalletsTable {
  id: string;
  user_id: string;
  address: string;
  sealed_key: string;
  kek_id: string;
  /** Bumped by every re-wrap: the compare-and-set of a KEK rotation. */
  version: Generated<number>;
  created_at: Date;
}

export interface MfaBindingsTable {
  user_id: string;
  device_id: string;
  sealed_secret: string;
  kek_id: string;
  version: Generated<number>;
  enabled_at: Date;
}

export interface ActivitiesTable {
  id: string;
  title: string;
  /** 002's participation threshold: 30-day ledger volume, in the smallest currency unit. */
  min_volume_30d: string | number | bigint;
}

export interface ActivityParticipantsTable {
  activity_id: string;
  user_id: string;
  joined_at: Date;
}

export interface LedgerEntriesTable {
  id: Generated<string>;
  user_id: string;
  amount: string | number | bigint;
  kind: string;
  occurred_at: Date;
}

export interface OutboxMessagesTable {
  id: string;
  channel: 'email' | 'sms';
  recipient: string;
  state: Generated<'pending' | 'sent' | 'dead'>;
  attempts: Generated<number>;
  due_at: Date;
  created_at: Date;
  /** The rendered message (MessageContent) while pending; null once sent or dead. */
  content: unknown;
  lease_owner: string | null;
  lease_until: Date | null;
  last_error: string | null;
  provider_id: string | null;
  finished_at: Date | null;
}

export interface AppVersionKeysTable {
  kid: string;
  platform: string;
  version: string;
  public_jwk: unknown;
  sealed_private_key: string;
  kek_id: string;
  created_at: Date;
}

export interface AppPlatformsTable {
  platform: string;
  min_version: string | null;
  upgrade_url: string | null;
  updated_at: Date;
}

export interface AppVersionRevocationsTable {
  platform: string;
  version: string;
  revoked_at: Date;
}

export interface Tables {
  users: UsersTable;
  user_identities: UserIdentitiesTable;
  wallets: WalletsTable;
  mfa_bindings: MfaBindingsTable;
  activities: ActivitiesTable;
  activity_participants: ActivityParticipantsTable;
  ledger_entries: LedgerEntriesTable;
  outbox_messages: OutboxMessagesTable;
  app_version_keys: AppVersionKeysTable;
  app_platforms: AppPlatformsTable;
  app_version_revocations: AppVersionRevocationsTable;
}

export type Db = Kysely<Tables>;
