import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { createClient } from 'redis';

/** A free TCP port on loopback, as the OS hands it out. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export interface SpareRedis {
  port: number;
  url: string;
  /** Kills the server at once (SIGKILL), as an outage would. */
  kill(): Promise<void>;
  /** Starts the server again on the same port (its data is gone, as after a real restart). */
  restart(): Promise<void>;
}

async function waitForPing(url: string, deadlineMs = 5000): Promise<void> {
  const started = Date.now();
  for (;;) {
    const client = createClient({ url, socket: { reconnectStrategy: false, connectTimeout: 200 } });
    client.on('error', () => {});
    try {
      await client.connect();
      await client.ping();
      await client.close();
      return;
    } catch {
      if (Date.now() - started > deadlineMs) throw new Error(`redis-server on ${url} did not start`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

/**
 * Starts a private redis-server on a spare port, for tests that kill or restart Redis. Needs `redis-server` on
 * the PATH (it is wherever REDIS_URL's server runs).
 */
export async function startSpareRedis(): Promise<SpareRedis> {
  const port = await freePort();
  const url = `redis://127.0.0.1:${port}`;
  let child: ChildProcess | undefined;
  const start = async (): Promise<void> => {
    child = spawn(
      'redis-server',
      ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
      {
        stdio: 'ignore',
      },
    );
    await waitForPing(url);
  };
  const kill = async (): Promise<void> => {
    const running = child;
    child = undefined;
    if (!running || running.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      running.once('exit', () => resolve());
      running.kill('SIGKILL');
    });
  };
  await start();
  return {
    port,
    url,
    kill,
    async restart() {
      await kill();
      await start();
    },
  };
}
