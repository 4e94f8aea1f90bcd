import type { IncomingMessage } from 'node:http';
import { ShieldwallError } from '@shieldwall/core';

export const acceptedMediaTypes: readonly string[] = Object.freeze([
  'application/csp-report',
  'application/reports+json',
  'application/json',
]);

/** Refuses anything but the three report media types (and a charset other than UTF-8), before reading a byte. */
export function checkContentType(header: string | undefined): void {
  const [type = '', ...parameters] = (header ?? '').split(';');
  const media = type.trim().toLowerCase();
  const charset = parameters
    .map((p) => p.trim().toLowerCase())
    .find((p) => p.startsWith('charset='))
    ?.slice('charset='.length)
    .replace(/"/g, '');
  if (
    !acceptedMediaTypes.includes(media) ||
    (charset !== undefined && charset !== 'utf-8' && charset !== 'utf8')
  ) {
    throw new ShieldwallError(
      415,
      'unsupported_media_type',
      'Send CSP reports as application/csp-report, application/reports+json or application/json.',
    );
  }
}

const tooLarge = (): ShieldwallError =>
  new ShieldwallError(413, 'payload_too_large', 'The report is over the size limit.', {
    headers: { Connection: 'close' },
  });

/**
 * Reads the raw body with a hard cap: a declared length over the cap is refused without reading, and a streamed
 * body is abandoned as soon as it passes the cap (Node discards the rest and closes the connection).
 */
export function readCappedBody(req: IncomingMessage, maxBytes: number): Promise<Buffer> {
  const declared = req.headers['content-length'];
  if (declared !== undefined && Number(declared) > maxBytes) return Promise.reject(tooLarge());
  return new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let received = 0;
    const cleanup = (): void => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      req.off('aborted', onAborted);
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
      resolve(Buffer.concat(chunks, received));
    };
    const onError = (error: Error): void => {
      cleanup();
      reject(
        new ShieldwallError(400, 'request_aborted', 'The request body could not be read.', { cause: error }),
      );
    };
    const onAborted = (): void => onError(new Error('aborted'));
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
    req.on('aborted', onAborted);
  });
}

const decoder = new TextDecoder('utf-8', { fatal: true });

/** Parses the body as UTF-8 JSON; 400 `invalid_json` otherwise. */
export function parseJson(raw: Buffer): unknown {
  try {
    return JSON.parse(decoder.decode(raw)) as unknown;
  } catch {
    throw new ShieldwallError(400, 'invalid_json', 'The report is not valid JSON.');
  }
}
