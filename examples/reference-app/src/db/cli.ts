import { jsonLogger } from '../logger.js';
import { ConfigProblems, loadConfig, type Config } from '../config/index.js';
import { databaseTargetOf } from '../services.js';
import { openDatabase, type Database } from './open.js';

/**
 * For the command-line scripts (migrate, ledger): the configured database, opened (and so migrated) the way the
 * app opens it, or one line per configuration problem and exit code 1.
 */
export async function withDatabase(
  work: (database: Database, config: Config) => Promise<void>,
): Promise<void> {
  let config: Config;
  try {
    config = loadConfig(process.env);
  } catch (error) {
    if (error instanceof ConfigProblems) {
      for (const problem of error.problems) console.error(`config: ${problem}`);
      process.exit(1);
    }
    throw error;
  }
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
