import { ConfigProblems, loadConfig, type Config } from './index.js';

/**
 * For the entry points (the server, the migrate and ledger scripts): the configuration from the environment, or one
 * line per problem on stderr and exit code 1, so an operator fixes a deployment in one pass.
 */
export function loadConfigOrExit(env: NodeJS.ProcessEnv = process.env): Config {
  try {
    return loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigProblems) {
      for (const problem of error.problems) console.error(`config: ${problem}`);
      process.exit(1);
    }
    throw error;
  }
}
