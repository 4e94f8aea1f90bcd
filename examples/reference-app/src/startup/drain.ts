import type { Server } from 'node:http';

/**
 * Stops accepting connections and waits for the requests in flight, at most `timeoutMs`; then cuts whatever is
 * left. Keep-alive connections are closed as soon as they fall idle (a browser's open connection would otherwise
 * hold the process for its keep-alive timeout). 'forced' means some request did not finish in time.
 */
export async function drain(server: Server, timeoutMs: number): Promise<'drained' | 'forced'> {
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeIdleConnections();
  // A connection whose request finishes during the drain becomes idle: close it then, not at its timeout.
  const sweep = setInterval(() => server.closeIdleConnections(), 50);
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'forced'>((resolve) => {
    timer = setTimeout(() => resolve('forced'), timeoutMs);
  });
  try {
    const outcome = await Promise.race([closed.then(() => 'drained' as const), late]);
    if (outcome === 'forced') {
      server.closeAllConnections();
      await closed;
    }
    return outcome;
  } finally {
    clearInterval(sweep);
    clearTimeout(timer);
  }
}
