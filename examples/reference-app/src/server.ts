import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { sendError } from '@shieldwall/core';
import { loadConfigOrExit } from './config/load-or-exit.js';
import { createReferenceApp, type ReferenceApp } from './app.js';
import { jsonLogger } from './logger.js';
import { bannerLines } from './startup/banner.js';
import { drain } from './startup/drain.js';
import { heldOutput } from './startup/held-output.js';
import { listen } from './startup/listen.js';
import { StartupProblem } from './startup/problem.js';

// The only place that reads process.env and writes to the console: packages never do.
async function main(): Promise<void> {
  const config = loadConfigOrExit();
  const output = heldOutput((line) => process.stdout.write(line + '\n'));
  const logger = jsonLogger((line) => output.write(line));

  // Filled in once the app is built; read by the request listener and the signal handlers.
  const running: { app?: ReferenceApp } = {};
  let shuttingDown = false;
  // The port is bound first, so a taken port fails in milliseconds, before Redis or the database are opened;
  // until the app is built every request answers 503 (a load balancer keeps waiting, nothing half-built serves).
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    if (shuttingDown) res.setHeader('Connection', 'close');
    if (running.app) {
      running.app.app(req, res);
      return;
    }
    sendError(res, 503, 'starting', 'The app is starting; try again in a moment.', undefined, {
      'Retry-After': '1',
    });
  });

  let stopping: Promise<never> | undefined;
  const stop = (signal: NodeJS.Signals): Promise<never> => {
    stopping ??= (async () => {
      shuttingDown = true;
      // Ctrl-C in a terminal stops quietly; a supervisor's SIGTERM is logged for the operator.
      const quiet = signal === 'SIGINT' && !config.production;
      // drain() closes the listening socket before its first await: logged after it, "shutting down" tells a
      // supervisor (and the production test) that new connections are already refused.
      const draining = drain(server, config.shutdownTimeoutMs);
      if (!quiet) logger.info('shutting down', { signal, timeoutMs: config.shutdownTimeoutMs });
      const outcome = await draining;
      if (running.app) await running.app.close();
      if (!quiet) logger.info('stopped', { signal, requests: outcome });
      output.release();
      process.exit(0);
    })();
    return stopping;
  };
  process.once('SIGINT', () => void stop('SIGINT'));
  process.once('SIGTERM', () => void stop('SIGTERM'));

  await listen(server, config.port);
  const built = await createReferenceApp(config, { logger });
  if (shuttingDown) {
    await built.close();
    return;
  }
  running.app = built;
  const port = (server.address() as { port: number }).port;
  if (config.production) {
    logger.info('listening', { port, env: config.nodeEnv, origin: config.publicOrigin });
  } else {
    for (const line of bannerLines(config, port)) process.stdout.write(line + '\n');
  }
  output.release();
}

main().catch((error: unknown) => {
  // One plain sentence for what the operator can fix; anything else is a bug and keeps its stack trace.
  if (error instanceof StartupProblem) console.error(`Cannot start: ${error.message}`);
  else console.error(error);
  process.exit(1);
});
