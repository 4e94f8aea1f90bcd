import type { IncomingMessage } from 'node:http';
import { ShieldwallError } from './errors.js';

/** 413 that also closes the connection: the unread rest of the body is never drained. */
export const bodyTooLarge = (message = 'The request body is over the size limit.'): ShieldwallError =>
  new ShieldwallError(413, 'payload_too_large', message, { headers: { Connection: 'close' } });

/** True when the request carries a body: any `Transfer-Encoding`, or a `Content-Length` above 0. */
export function hasBody(req: IncomingMessage): boolean {
  if (req.headers['transfer-encoding'] !== undefined) return true;
  const length = req.headers['content-length'];
  return length !== undefined && Number(length) !== 0;
}

const aborted = (cause?: unknown): ShieldwallError =>
  new ShieldwallError(400, 'request_aborted', 'The request body could not be read.', { cause });

/**
 * Reads a raw body with a hard cap. A declared length over the cap is refused without reading a byte; a streamed
 * body is abandoned as soon as it passes the cap (reading stops, and the 413 closes the connection rather than
 * draining what a flood keeps sending). A client that goes away before or during the body gets 400
 * `request_aborted`; a body another middleware has already read in full reads as empty.
 */
export function readCappedBody(
  req: IncomingMessage,
  maxBytes: number,
  tooLarge: () => Error = () => bodyTooLarge(),
): Promise<Buffer> {
  const declared = req.headers['content-length'];
  if (declared !== undefined && Number(declared) > maxBytes) return Promise.reject(tooLarge());
  if (req.readableEnded) return Promise.resolve(Buffer.alloc(0));
  // Events that already fired will not fire again: a request that is gone must not leave a promise pending.
  if (req.destroyed || req.readableAborted) return Promise.reject(aborted());
  return new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let received = 0;
    const cleanup = (): void => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      req.off('close', onClose);
    };
    const onData = (chunk: Buffer): void => {
      received += chunk.length;
      if (received > maxBytes) {
        cleanup();
        req.pause();
        reject(tooLarge());
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = (): void => {
      cleanup();
      resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, received));
    };
    const onError = (error: Error): void => {
      cleanup();
      reject(aborted(error));
    };
    // 'close' before 'end': the client went away mid-body.
    const onClose = (): void => onError(new Error('closed before the body ended'));
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
    req.on('close', onClose);
    // A data listener does not restart a stream that an earlier middleware paused.
    if (req.readableFlowing === false) req.resume();
  });
}
