import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { hasBody, wrapAsync } from '@shieldwall/core';
import { isJose, readJoseBody } from './body.js';
import type { ChannelInfo, KeyExchangeContext } from './context.js';
import { envelopeTypes, openEnvelope, peekHeader, sealResponse, type EnvelopeHeader } from './envelope.js';
import { encryptionRequired, invalidEnvelope, invalidJson, jsonTooDeep, upgradeRequired } from './errors.js';
import { jsonDepthWithin } from './json-depth.js';

/** Requests without a body (GET, HEAD, DELETE, ...) carry their envelope, with an empty plaintext, in this header. */
export const envelopeHeader = 'x-channel-envelope';

export interface ChannelOptions {
  /**
   * Refuse plaintext requests with 400 `encryption_required`. Defaults to true; `false` lets plaintext through
   * unencrypted (answered in plaintext) while encrypted requests are still opened and answered encrypted.
   */
  required?: boolean;
}

function parseBody(plaintext: Uint8Array, maxDepth: number): unknown {
  if (plaintext.length === 0) return undefined;
  if (!jsonDepthWithin(plaintext, maxDepth)) throw jsonTooDeep(maxDepth);
  try {
    return JSON.parse(Buffer.from(plaintext.buffer, plaintext.byteOffset, plaintext.length).toString('utf8'));
  } catch {
    throw invalidJson();
  }
}

export function channelMiddleware(ctx: KeyExchangeContext, required: boolean): RequestHandler {
  return wrapAsync(async function keyExchangeChannel(
    req: Request,
    res: Response,
    next: NextFunction,
  ): Promise<void> {
    const inHeader = req.get(envelopeHeader);
    let jwe: string;
    let fromBody: boolean;
    if (isJose(req)) {
      if (inHeader !== undefined) throw invalidEnvelope();
      jwe = await readJoseBody(req, ctx.maxBodyBytes);
      fromBody = true;
    } else if (inHeader !== undefined) {
      // The envelope authenticates an empty body: a body beside it (which a parser mounted earlier may already have
      // put in req.body) would reach the route unauthenticated.
      if (hasBody(req)) throw invalidEnvelope();
      jwe = inHeader;
      fromBody = false;
    } else {
      if (required) throw encryptionRequired();
      next();
      return;
    }

    const peeked = peekHeader(jwe);
    const kid = peeked?.kid;
    const record = typeof kid === 'string' ? await ctx.channels.get(kid) : undefined;
    if (!record) throw invalidEnvelope();
    if (record.s !== undefined && ctx.csrf.sessionId(req) !== record.s) throw invalidEnvelope();
    if (record.p !== undefined && ctx.apps) {
      // Stryker disable next-line StringLiteral: create() writes a version with every platform; any stand-in is an unknown version, refused alike
      const status = ctx.apps.check(record.p, record.v ?? '');
      if (status.status === 'retired') throw upgradeRequired(status.minVersion, status.upgradeUrl);
      if (status.status === 'unknown') throw invalidEnvelope();
    }
    // Cached after the first request on this instance: the hot path unseals nothing.
    const key = ctx.channels.cachedKey(record) ?? (await ctx.channels.openKey(record));
    if (!key) throw invalidEnvelope();
    let body: unknown;
    // The body is parsed before the single-use id is claimed: a body refused as JSON leaves no trace in the store.
    const { header } = await openEnvelope(
      ctx.envelopes,
      jwe,
      {
        alg: 'dir',
        typ: envelopeTypes.request,
        method: req.method,
        path: req.originalUrl,
        empty: !fromBody,
        ...(fromBody
          ? { check: (plaintext: Uint8Array) => (body = parseBody(plaintext, ctx.maxJsonDepth)) }
          : {}),
      },
      // The kid is the one the record was found by.
      () => Promise.resolve(key),
      peeked,
    );
    // Undefined for a header envelope, whatever a parser mounted earlier left there.
    req.body = body;
    // Most requests renew nothing; they skip the await (the channel runs on every encrypted request).
    const renewal = ctx.channels.touch(record);
    // Stryker disable next-line ConditionalExpression: true only awaits undefined; false leaves the renewal's write running unawaited, which still lands, so no answer differs while the store works
    if (renewal) await renewal;

    const info: ChannelInfo = {
      channelId: record.id,
      ...(record.s ? { sessionId: record.s } : {}),
      ...(record.p ? { platform: record.p, version: record.v } : {}),
    };
    res.locals.keyExchange = info;
    encryptJsonResponses(ctx, res, next, key, record.id, header);
    next();
  }, ctx.refuse);
}

/** Replaces `res.json` so that the route's JSON answer leaves sealed under the channel key, bound to this request. */
function encryptJsonResponses(
  ctx: KeyExchangeContext,
  res: Response,
  next: NextFunction,
  key: Parameters<typeof sealResponse>[1],
  channelId: string,
  header: EnvelopeHeader,
): void {
  res.json = function encryptedJson(body?: unknown): Response {
    const bytes = Buffer.from(JSON.stringify(body) ?? 'null', 'utf8');
    let jwe: string;
    try {
      jwe = sealResponse(ctx.clock, key, channelId, header, res.statusCode, bytes);
    } catch (error) {
      next(error);
      return res;
    }
    res.setHeader('Content-Type', 'application/jose');
    res.setHeader('Cache-Control', 'no-store');
    res.setHeader('Content-Length', Buffer.byteLength(jwe));
    res.end(jwe);
    return res;
  };
}
