import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createServer } from 'node:net';
import { createClient } from 'redis';

const run = promisify(execFile);

/** A free TCP port on loopback, as the OS hands it out. */
async function freePort(): Promise<number> {
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

export interface ClusterNode {
  port: number;
  url: string;
}

export interface RedisCluster {
  /** Every node, masters first as `redis-cli --cluster create` assigned them. */
  nodes: ClusterNode[];
  /** The masters that serve the slots now (after a failover, a former replica). */
  masters(): Promise<ClusterNode[]>;
  /** The master that serves `key`'s slot now. */
  masterOf(key: string): Promise<ClusterNode>;
  /** Kills a node with SIGKILL, as a crash would. */
  kill(node: ClusterNode): Promise<void>;
  /** Starts a killed node again with its cluster config; it rejoins (as a replica when it was failed over). */
  restart(node: ClusterNode): Promise<void>;
  /** Resolves when every slot is served and every live node agrees the cluster is ok. */
  waitUntilHealthy(deadlineMs?: number): Promise<void>;
  stop(): Promise<void>;
}

async function clusterCommand(port: number, args: string[]): Promise<string> {
  const client = createClient({
    url: `redis://127.0.0.1:${port}`,
    socket: { reconnectStrategy: false, connectTimeout: 300 },
  });
  client.on('error', () => {});
  await client.connect();
  try {
    const reply: unknown = await client.sendCommand(args);
    if (typeof reply === 'string') return reply;
    if (Buffer.isBuffer(reply)) return reply.toString('utf8');
    return JSON.stringify(reply);
  } finally {
    await client.close().catch(() => {});
  }
}

async function until(what: string, deadlineMs: number, check: () => Promise<boolean>): Promise<void> {
  const started = Date.now();
  for (;;) {
    if (await check().catch(() => false)) return;
    if (Date.now() - started > deadlineMs) throw new Error(`redis cluster: ${what} within ${deadlineMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/**
 * Starts a real Redis Cluster on loopback: `masters` masters, each with one replica, on spare ports, with a short
 * `cluster-node-timeout` so that a killed master fails over in about a second. Needs `redis-server` and
 * `redis-cli` on the PATH (Debian's redis-server package has both).
 */
export async function startRedisCluster(
  options: { masters?: number; nodeTimeoutMs?: number } = {},
): Promise<RedisCluster> {
  const masters = options.masters ?? 3;
  const nodeTimeoutMs = options.nodeTimeoutMs ?? 1000;
  const dir = mkdtempSync(join(tmpdir(), 'sw-cluster-'));
  const nodes: ClusterNode[] = [];
  for (let i = 0; i < masters * 2; i++) {
    const port = await freePort();
    nodes.push({ port, url: `redis://127.0.0.1:${port}` });
  }
  const children = new Map<number, ChildProcess>();
  const start = async (node: ClusterNode): Promise<void> => {
    const child = spawn(
      'redis-server',
      [
        '--port',
        String(node.port),
        '--bind',
        '127.0.0.1',
        '--save',
        '',
        '--appendonly',
        'no',
        // No data on disk at all: a replica's full sync would otherwise write dump.rdb into the shared folder, and
        // a node started again would load that stale snapshot (another node's, even) instead of starting empty.
        '--repl-diskless-load',
        'swapdb',
        '--dbfilename',
        `dump-${node.port}.rdb`,
        '--cluster-enabled',
        'yes',
        '--cluster-config-file',
        join(dir, `nodes-${node.port}.conf`),
        '--cluster-node-timeout',
        String(nodeTimeoutMs),
        '--dir',
        dir,
      ],
      { stdio: 'ignore' },
    );
    children.set(node.port, child);
    await until(
      `node ${node.port} answering`,
      5000,
      async () => (await clusterCommand(node.port, ['PING'])) === 'PONG',
    );
  };
  const kill = async (node: ClusterNode): Promise<void> => {
    const child = children.get(node.port);
    children.delete(node.port);
    if (!child || child.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill('SIGKILL');
    });
  };
  const live = (): ClusterNode[] => nodes.filter((node) => children.has(node.port));

  const shards = async (): Promise<Array<{ from: number; to: number; port: number; replicas: number }>> => {
    for (const node of live()) {
      try {
        const client = createClient({
          url: node.url,
          socket: { reconnectStrategy: false, connectTimeout: 300 },
        });
        client.on('error', () => {});
        await client.connect();
        try {
          const slots: Array<[number, number, [string, number], ...unknown[]]> = await client.sendCommand([
            'CLUSTER',
            'SLOTS',
          ]);
          return slots.map(([from, to, [, port], ...replicas]) => ({
            from,
            to,
            port: Number(port),
            replicas: replicas.length,
          }));
        } finally {
          await client.close().catch(() => {});
        }
      } catch {
        // try the next live node
      }
    }
    throw new Error('redis cluster: no node answered CLUSTER SLOTS');
  };

  const cluster: RedisCluster = {
    nodes,
    async masters() {
      const ports = new Set((await shards()).map((shard) => shard.port));
      return nodes.filter((node) => ports.has(node.port));
    },
    async masterOf(key) {
      const slot = Number(await clusterCommand(live()[0]!.port, ['CLUSTER', 'KEYSLOT', key]));
      const shard = (await shards()).find((s) => s.from <= slot && slot <= s.to);
      const node = nodes.find((n) => n.port === shard?.port);
      if (!node) throw new Error(`redis cluster: no master serves slot ${slot}`);
      return node;
    },
    kill,
    async restart(node) {
      await start(node);
    },
    async waitUntilHealthy(deadlineMs = 15_000) {
      await until('every live node reporting cluster_state:ok', deadlineMs, async () => {
        for (const node of live()) {
          const info = await clusterCommand(node.port, ['CLUSTER', 'INFO']);
          if (!/cluster_state:ok/.test(info)) return false;
        }
        const covered = (await shards()).reduce((sum, s) => sum + (s.to - s.from + 1), 0);
        const servedByLive = (await shards()).every((s) => children.has(s.port));
        return covered === 16384 && servedByLive;
      });
    },
    async stop() {
      for (const node of nodes) await kill(node);
      rmSync(dir, { recursive: true, force: true });
    },
  };

  try {
    for (const node of nodes) await start(node);
    await run(
      'redis-cli',
      [
        '--cluster',
        'create',
        ...nodes.map((n) => `127.0.0.1:${n.port}`),
        '--cluster-replicas',
        '1',
        '--cluster-yes',
      ],
      { timeout: 30_000 },
    );
    await cluster.waitUntilHealthy();
    // cluster_state:ok comes before every replica has attached; a failover test needs each master's replica.
    await until('a replica attached to every master', 15_000, async () =>
      (await shards()).every((shard) => shard.replicas >= 1),
    );
  } catch (error) {
    await cluster.stop();
    throw error;
  }
  return cluster;
}
