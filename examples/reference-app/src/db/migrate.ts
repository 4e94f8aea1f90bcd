import type { Kysely } from 'kysely';
import { Migrator, type MigrationResultSet } from 'kysely/migration';
import { migrations } from './migrations/index.js';

/**
 * Brings the schema to the latest version. Kysely's migrator holds a PostgreSQL advisory lock for the whole run
 * (pg_advisory_lock, on PGlite too) and applies each migration in its own transaction, so two instances starting
 * at once apply each migration once, and a second run applies nothing.
 */
export async function migrateToLatest(db: Kysely<unknown>, schema?: string): Promise<string[]> {
  const migrator = new Migrator({
    db,
    provider: { getMigrations: async () => migrations },
    // With a schema (tests: one per app in a shared PGlite), Kysely's bookkeeping lives in it too.
    ...(schema !== undefined ? { migrationTableSchema: schema } : {}),
  });
  const result: MigrationResultSet = await migrator.migrateToLatest();
  if (result.error) {
    const failed = result.results?.find((step) => step.status === 'Error')?.migrationName;
    throw new Error(
      `reference-app: migration ${failed ?? '(setup)'} failed: ${result.error instanceof Error ? result.error.message : 'unknown error'}`,
      {
        cause: result.error,
      },
    );
  }
  return (result.results ?? []).filter((step) => step.status === 'Success').map((step) => step.migrationName);
}
