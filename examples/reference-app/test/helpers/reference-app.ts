import request from 'supertest';
import { pgliteTarget } from './database.js';
import {
  createReferenceApp,
  loadConfig,
  memoryLogger,
  type Env,
  type MemoryLogger,
  type ReferenceApp,
  type ServiceOverrides,
} from '@shieldwall/reference-app';

export interface TestApp extends ReferenceApp {
  logger: MemoryLogger;
  /** A supertest agent: keeps cookies between requests, like a browser. */
  agent: ReturnType<typeof request.agent>;
  request: ReturnType<typeof request>;
}

/**
 * The reference app as the e2e suites use it: NODE_ENV=test (fresh in-memory secrets, nothing written to disk), a
 * memory logger to assert on, and any environment or service overrides a test needs. The data is in this test
 * file's PGlite, on a fresh schema per app, unless the environment names a DATABASE_URL or a target is given.
 */
export async function startTestApp(env: Env = {}, overrides: ServiceOverrides = {}): Promise<TestApp> {
  // bcrypt's lowest cost unless a test names one (production refuses less than 12): at 12 every sign-up and login
  // costs a quarter of a second of CPU on a quiet machine, and most suites sign users up and in.
  const fastHashing = env.NODE_ENV === 'production' ? {} : { BCRYPT_COST: '4' };
  const config = loadConfig({ NODE_ENV: 'test', ...fastHashing, ...env }, { persistDevSecrets: false });
  const logger = memoryLogger();
  const databaseTarget = overrides.databaseTarget ?? (env.DATABASE_URL ? undefined : await pgliteTarget());
  const reference = await createReferenceApp(config, {
    logger,
    ...(databaseTarget ? { databaseTarget } : {}),
    ...overrides,
  });
  return {
    ...reference,
    logger,
    agent: request.agent(reference.app),
    request: request(reference.app),
  };
}
