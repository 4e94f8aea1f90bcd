import { StoreUnavailableError } from '../errors.js';
import type { SendCommand } from './redis-store.js';

/**
 * Bounds every command to `timeoutMs`: past it the call rejects with StoreUnavailableError, so a dead or hung
 * Redis never hangs a request (a client's offline queue would otherwise hold the command until reconnection).
 */
export function withTimeout(send: SendCommand, timeoutMs: number): SendCommand {
  return async function sendWithTimeout(args) {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new StoreUnavailableError(`Redis did not answer within ${timeoutMs} ms`)),
        timeoutMs,
      );
      timer.unref();
    });
    try {
      return await Promise.race([send(args), timeout]);
    } finally {
      clearTimeout(timer);
    }
  };
}
