import type { Request } from 'express';
import { payloadTooLarge, unsupportedMediaType } from './errors.js';

export function isJose(req: Request): boolean {
  const type = req.get('content-type');
  return type !== undefined && type.split(';')[0]!.trim().toLowerCase() === 'application/jose';
}

/** The raw `application/jose` body as text, read here unless a parser already did; capped at `limit` bytes. */
export async function readJoseBody(req: Request, limit: number): Promise<string> {
  if (!isJose(req)) throw unsupportedMediaType();
  const parsed: unknown = req.body;
  if (typeof parsed === 'string') return parsed;
  if (Buffer.isBuffer(parsed)) return parsed.toString('utf8');
  const declared = Number(req.get('content-length'));
  if (Number.isFinite(declared) && declared > limit) throw payloadTooLarge();
  if (req.readableEnded) return '';
  // Listeners rather than `for await`: the async iterator costs several promises per request on the channel's hot
  // path, for a body that is usually one chunk.
  return new Promise<string>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const cleanup = (): void => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      req.off('close', onClose);
    };
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > limit) {
        cleanup();
        // Drain the rest so the connection stays usable for the error response.
        req.resume();
        reject(payloadTooLarge());
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = (): void => {
      cleanup();
      resolve(Buffer.concat(chunks).toString('utf8').trim());
    };
    const onError = (error: Error): void => {
      cleanup();
      reject(error);
    };
    const onClose = (): void => {
      cleanup();
      reject(new Error('request closed before its body was read'));
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
    req.on('close', onClose);
  });
}
