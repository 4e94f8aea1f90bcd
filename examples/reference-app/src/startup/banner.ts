import type { Config } from '../config/index.js';

/**
 * The first lines a developer sees after `npm start`: the URL to open and what to try. In production the same
 * facts go out as one JSON log line instead (log shippers expect JSON on stdout).
 */
export function bannerLines(config: Config, port: number): string[] {
  const local = `http://localhost:${port}`;
  const origin = config.publicOrigin === local ? local : `${config.publicOrigin} (listening on ${local})`;
  const store = config.redis
    ? `Redis${config.redis.cluster ? ' Cluster' : ''}`
    : 'memory (set REDIS_URL to share it)';
  const database = config.databaseUrl
    ? 'PostgreSQL'
    : config.pgliteDir
      ? `PGlite in ${config.pgliteDir}`
      : 'PGlite in memory';
  return [
    `Shieldwall reference app: open ${origin}`,
    `  Try: the page sets up the encrypted channel and says "Encrypted channel ready.";`,
    `       curl -i ${local}/readyz shows the security headers and whether the stores answer;`,
    `       docs/reference-app.md lists every route. Ctrl-C stops it.`,
    `  State: ${store}. Records: ${database}. Logs follow, one JSON object a line.`,
  ];
}
