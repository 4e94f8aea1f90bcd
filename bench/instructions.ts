// Counts what one request of a scenario costs in machine instructions, which stay repeatable on a loaded machine
// where rates do not. Runs the scenario's app and a keep-alive client in this process; sends `warm` requests, asks
// callgrind to dump (and zero) its counters, sends `count` requests one at a time, and dumps again:
//   valgrind --tool=callgrind --callgrind-out-file=/tmp/cg.out node --import tsx bench/instructions.ts <file>.ts <name> 2000
// The last dump (`/tmp/cg.out.2`) holds the measured requests; divide its total by `count`. The client's share is
// the same in every scenario, so compare scenarios with each other (or with bare-express). Outside valgrind the
// dumps are skipped. Scenarios with single-use envelopes (channel-encrypted-1kb, floor-channel-encrypted-1kb) need
// BENCH_POOL=0, which makes each envelope as it is sent: the client's sealing is then counted too, the same in both.
import { spawn } from 'node:child_process';
import { Agent, createServer, request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { loadScenario } from './load.js';
import type { BenchRequest } from './types.js';

// callgrind notices a command only while the process runs code, so the loop ticks until callgrind_control is done.
async function dump(label: string): Promise<void> {
  if (!process.env.LD_PRELOAD?.includes('vgpreload')) return;
  const tick = setInterval(() => undefined, 1);
  await new Promise<void>((resolve, reject) => {
    const child = spawn('callgrind_control', ['--dump=' + label, String(process.pid)], { stdio: 'ignore' });
    child.on('error', reject);
    child.on('exit', () => resolve());
  });
  clearInterval(tick);
}

async function main(): Promise<void> {
  const [file, name, countText, warmText] = process.argv.slice(2);
  const count = Number(countText ?? 1000);
  const warm = Number(warmText ?? 300);
  if (!file || !name || !Number.isSafeInteger(count) || !Number.isSafeInteger(warm)) {
    throw new Error('usage: instructions.ts <scenario-file> <http-scenario-name> <count> [warm-up-count]');
  }
  const scenario = await loadScenario(file, name);
  if (scenario.kind !== 'http') throw new Error(`${name} is not an HTTP scenario`);
  const server = createServer(await scenario.createApp());
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const prepared = await scenario.prepare(baseUrl);
  const next = typeof prepared === 'function' ? prepared : (): BenchRequest => prepared;
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  let failed = 0;
  const send = async (n: number): Promise<void> => {
    for (let i = 0; i < n; i += 1) {
      const req = next();
      const status = await new Promise<number>((resolve, reject) => {
        const outgoing = httpRequest(
          `${baseUrl}${req.path}`,
          { method: req.method, headers: req.headers ?? {}, agent },
          (res) => {
            res.resume();
            res.on('end', () => resolve(res.statusCode ?? 0));
          },
        );
        outgoing.on('error', reject);
        outgoing.end(req.body);
      });
      if (status >= 300) failed += 1;
    }
  };
  await send(warm);
  await dump('warm-up');
  await send(count);
  await dump('measured');
  agent.destroy();
  server.close();
  process.stdout.write(`${name}: ${warm} + ${count} requests, ${failed} not 2xx\n`);
  if (failed > 0) process.exitCode = 1;
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
