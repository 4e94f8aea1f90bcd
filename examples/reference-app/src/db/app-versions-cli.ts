import { withDatabase, fail } from './cli.js';
import { runAppVersionsCommand, UsageError } from './app-versions-command.js';

// `pnpm app-versions set-minimum android 3.1.0` (and list, revoke, restore, upgrade-url, import): the mobile
// app-version registry in the database; every instance applies a change within APP_VERSIONS_REFRESH_MS.
withDatabase(async (database) => {
  try {
    console.log(JSON.stringify(await runAppVersionsCommand(database.db, process.argv.slice(2), Date.now())));
  } catch (error) {
    if (error instanceof UsageError) fail(error.message);
    throw error;
  }
}).catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
