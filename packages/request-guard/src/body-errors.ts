import type { IncomingMessage, ServerResponse } from 'node:http';
import { ShieldwallError } from '@shieldwall/core';

export function payloadTooLarge(): ShieldwallError {
  return new ShieldwallError(413, 'payload_too_large', 'The request body is too large.');
}

export function unsupportedMediaType(): ShieldwallError {
  return new ShieldwallError(
    415,
    'unsupported_media_type',
    'The request body has an unsupported Content-Type.',
  );
}

const parserErrors: Readonly<Record<string, readonly [number, string, string]>> = {
  'entity.parse.failed': [400, 'invalid_json', 'The request body is not valid JSON.'],
  'entity.too.large': [413, 'payload_too_large', 'The request body is too large.'],
  'encoding.unsupported': [
    415,
    'unsupported_media_type',
    'The request body uses an unsupported content encoding.',
  ],
  'charset.unsupported': [415, 'unsupported_media_type', 'The request body uses an unsupported charset.'],
  'request.aborted': [400, 'request_aborted', 'The request was aborted by the client.'],
  'request.size.invalid': [400, 'bad_request', 'The request body length is inconsistent.'],
};

/**
 * body-parser's errors as Shieldwall errors with stable codes. The parser's own message can quote the body, so it
 * is replaced (the original is kept only as `cause`, which is never sent). Anything else passes through unchanged.
 */
export function translateParserError(err: unknown): unknown {
  const type = typeof err === 'object' && err !== null ? (err as { type?: unknown }).type : undefined;
  const known = typeof type === 'string' ? parserErrors[type] : undefined;
  if (!known) return err;
  const [status, code, message] = known;
  return new ShieldwallError(status, code, message, { cause: err });
}

/**
 * Refuses a request whose body has not been read, the way body-parser does: the rest of the body is read off and
 * dropped first, so the client is not cut off mid-upload (and sees the answer instead of a reset). Once more than
 * `limit` bytes have been discarded the answer goes out at once with `Connection: close`.
 */
export function refuseAfterBody(
  req: IncomingMessage,
  res: ServerResponse,
  next: (err: unknown) => void,
  error: ShieldwallError,
  limit: number,
): void {
  if (req.complete || req.readableEnded) {
    next(error);
    return;
  }
  let seen = 0;
  let finished = false;
  function finish(): void {
    if (finished) return;
    finished = true;
    req.removeListener('data', onData);
    req.removeListener('end', finish);
    req.removeListener('close', finish);
    next(error);
  }
  function onData(chunk: Buffer): void {
    seen += chunk.length;
    if (seen > limit) {
      if (!res.headersSent) res.setHeader('Connection', 'close');
      finish();
    }
  }
  req.on('data', onData);
  req.once('end', finish);
  req.once('close', finish);
  req.resume();
}
