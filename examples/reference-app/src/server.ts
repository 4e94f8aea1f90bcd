import { loadConfigOrExit } from './config/load-or-exit.js';
import { createReferenceApp } from './app.js';

// The only place that reads process.env and writes to the console: packages never do.
async function main(): Promise<void> {
  const config = loadConfigOrExit();
  const { app, services, close } = await createReferenceApp(config);
  const server = app.listen(config.port, () => {
    services.logger.info('listening', {
      port: config.port,
      env: config.nodeEnv,
      origin: config.publicOrigin,
    });
  });
  const shutdown = (signal: string) => {
    services.logger.info('shutting down', { signal });
    server.close(() => {
      close().then(
        () => process.exit(0),
        () => process.exit(1),
      );
    });
  };
  process.once('SIGINT', () => shutdown('SIGINT'));
  process.once('SIGTERM', () => shutdown('SIGTERM'));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
