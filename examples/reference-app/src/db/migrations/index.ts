import type { Migration } from 'kysely/migration';
import { initial } from './0001-initial.js';
import { outbox } from './0002-outbox.js';
import { usersPhone } from './0003-users-phone.js';
import { appVersions } from './0004-app-versions.js';

/**
 * Every migration, in order. Names sort as they apply; a released migration is never edited, only followed by a
 * new one. Kysely records the applied ones in `kysely_migration`.
 */
export const migrations: Record<string, Migration> = {
  '0001-initial': initial,
  '0002-outbox': outbox,
  '0003-users-phone': usersPhone,
  '0004-app-versions': appVersions,
};
