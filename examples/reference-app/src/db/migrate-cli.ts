import { withDatabase } from './cli.js';

// `pnpm migrate`: applies pending migrations to DATABASE_URL (or the PGlite under DATA_DIR) and exits. The app
// also migrates at start under the same advisory lock, so running this first is optional: it lets a deployment
// migrate once, before rolling out instances.
withDatabase(async (database) => {
  console.log(`database (${database.kind}) is at the latest migration`);
}).catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
