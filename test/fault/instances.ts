import { randomBytes } from 'node:crypto';
import {
  appDir,
  freePort,
  spawnApp,
  type SpawnedApp,
} from '../../examples/reference-app/test/startup/spawn-app.js';

export interface Instance {
  port: number;
  current: SpawnedApp;
  /** SIGKILL, as a crashed host or an OOM kill: nothing is drained. */
  kill(): Promise<void>;
  /** Starts it again on the same port and waits until it listens. */
  start(): Promise<void>;
}

/** What every instance shares: one Redis Cluster, one PostgreSQL database, the same secrets. */
export function sharedEnv(
  redisUrls: readonly string[],
  databaseUrl: string,
  publicOrigin: string,
): Record<string, string> {
  const secret = (): string => randomBytes(32).toString('base64');
  return {
    // Development: no CAPTCHA provider or mail transport is needed; every store is still the real, shared one.
    NODE_ENV: 'development',
    PUBLIC_ORIGIN: publicOrigin,
    REDIS_URL: redisUrls.join(','),
    DATABASE_URL: databaseUrl,
    JWT_SECRETS: `k1:${secret()}`,
    WALLET_KEKS: `w1:${secret()}`,
    TRUST_PROXY: 'loopback',
    BCRYPT_COST: '4',
    SMS_ROUTES: 'off',
    DATABASE_POOL_MAX: '4',
    SHUTDOWN_TIMEOUT_MS: '2000',
  };
}

/** One app instance: `node dist/server.js`, as production runs it. */
export async function startInstance(env: Record<string, string>): Promise<Instance> {
  const port = await freePort();
  const launch = async (): Promise<SpawnedApp> => {
    const app = spawnApp(
      { ...env, PORT: String(port) },
      { cmd: process.execPath, args: ['dist/server.js'], cwd: appDir },
    );
    try {
      // Development prints its banner once listening and built.
      await app.waitForOutput('Ctrl-C stops it.');
    } catch (error) {
      await app.cleanup();
      throw error;
    }
    return app;
  };
  const instance: Instance = {
    port,
    current: await launch(),
    async kill() {
      instance.current.child.kill('SIGKILL');
      await instance.current.exited;
      await instance.current.cleanup();
    },
    async start() {
      instance.current = await launch();
    },
  };
  return instance;
}
