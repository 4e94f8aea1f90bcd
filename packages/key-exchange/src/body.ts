import type { Request } from 'express';
import { readCappedBody } from '@shieldwall/core';
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
  return (await readCappedBody(req, limit, payloadTooLarge)).toString('utf8').trim();
}
