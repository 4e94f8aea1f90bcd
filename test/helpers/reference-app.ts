import request from 'supertest';
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
 * memory logger to assert on, and any environment or service overrides a test needs.
 */
export async function startTestApp(env: Env = {}, overrides: ServiceOverrides = {}): Promise<TestApp> {
  const config = loadConfig({ NODE_ENV: 'test', ...env }, { persistDevSecrets: false });
  const logger = memoryLogger();
  const reference = await createReferenceApp(config, { logger, ...overrides });
  return {
    ...reference,
    logger,
    agent: request.agent(reference.app),
    request: request(reference.app),
  };
}
