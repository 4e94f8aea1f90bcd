// Runs one HTTP scenario's app in its own process (started by run.ts with `node --import tsx`), so the load
// generator never shares a core with the server. Prints `READY <port>`; answers `stats` over IPC with the
// event-loop delay seen while serving (DESIGN.md: nothing on the request path may block it for more than 5 ms).
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { loadScenario } from './load.js';

async function main(): Promise<void> {
  const [file, name] = process.argv.slice(2);
  if (!file || !name) throw new Error('usage: server.ts <scenario-file> <scenario-name>');
  const scenario = await loadScenario(file, name);
  if (scenario.kind !== 'http') throw new Error(`${name} is not an HTTP scenario`);
  const server = createServer(await scenario.createApp());
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const histogram = monitorEventLoopDelay({ resolution: 1 });
  process.on('message', (message: unknown) => {
    if (message === 'reset') {
      histogram.reset();
      histogram.enable();
    } else if (message === 'stats') {
      histogram.disable();
      process.send?.({ maxDelayMs: histogram.max / 1e6, p99DelayMs: histogram.percentile(99) / 1e6 });
    }
  });
  // A clean exit on SIGTERM lets `node --cpu-prof` write its profile.
  process.once('SIGTERM', () => process.exit(0));
  process.stdout.write(`READY ${(server.address() as AddressInfo).port}\n`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
