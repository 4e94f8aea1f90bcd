import { jsonLogger } from '../logger.js';
import type { Config } from '../config/index.js';
import { loadConfigOrExit } from '../config/load-or-exit.js';
import { databaseTargetOf } from '../services.js';
import { openDatabase, type Database } from './open.js';

/**
 * For the command-line scripts (migrate, ledger): the configured database, opened (and so migrated) the way the
 * app opens it, or one line per configuration problem and exit code 1.
 */
export async function withDatabase(
  work: (database: Database, config: Config) => Promise<void>,
): Promise<void> {
  const config = loadConfigOrExit();
  const database = await openDatabase(databaseTargetOf(config), jsonLogger());
  try {
    await work(database, config);
  } finally {
    await database.close();
  }
}

export function fail(message: string): never {
  console.error(message);
  process.exit(2);
}
