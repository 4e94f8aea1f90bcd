import type { KeyObject } from 'node:crypto';
import type { Request, RequestHandler, Response } from 'express';
import { wrapAsync } from '@shieldwall/core';
import { readJoseBody } from './body.js';
import type { ChannelBinding } from './channels.js';
import type { KeyExchangeContext } from './context.js';
import { isStrictBase64url } from './base64url.js';
import { envelopeTypes, openEnvelope, sealResponse } from './envelope.js';
import { invalidEnvelope, unknownAppVersion, upgradeRequired } from './errors.js';

/** Headers that mark a mobile handshake. */
export const appPlatformHeader = 'x-app-platform';
export const appVersionHeader = 'x-app-version';

function clientKey(plaintext: Uint8Array): Uint8Array {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(plaintext).toString('utf8'));
  } catch {
    // Not JSON: it has no `k`, and is refused below with everything else that has none.
  }
  const k = (parsed as { k?: unknown } | null)?.k;
  // 43 characters of canonical base64url are exactly 32 bytes: one spelling per key, as for every other part.
  if (typeof k !== 'string' || k.length !== 43 || !isStrictBase64url(k)) throw invalidEnvelope();
  return new Uint8Array(Buffer.from(k, 'base64url'));
}

/** POST handler: unwraps the client's AES key (web key + CSRF, or an app version's key) and opens a channel. */
export function sessionKeyHandler(ctx: KeyExchangeContext): RequestHandler {
  return wrapAsync(async function keyExchangeSessionKey(req: Request, res: Response): Promise<void> {
    const platform = req.get(appPlatformHeader);
    const version = req.get(appVersionHeader);
    let binding: ChannelBinding;
    let lookup: (kid: string) => Promise<KeyObject | undefined>;

    if (platform !== undefined || version !== undefined) {
      const status =
        ctx.apps && platform && version ? ctx.apps.check(platform, version) : { status: 'unknown' as const };
      if (status.status === 'unknown') throw unknownAppVersion();
      if (status.status === 'retired') throw upgradeRequired(status.minVersion, status.upgradeUrl);
      const expectedKid = status.key.kid;
      const apps = ctx.apps!;
      lookup = (kid) => (kid === expectedKid ? apps.privateKey(kid) : Promise.resolve(undefined));
      binding = { platform: status.key.platform, version: status.key.version };
    } else {
      binding = { sessionId: await ctx.csrf.verify(req, res) };
      lookup = (kid) => ctx.ring.privateKey(kid);
    }

    const jwe = await readJoseBody(req, 16 * 1024);
    // Read inside the check (before the single-use id is spent) and kept: parsed once. openEnvelope resolves only
    // after the check ran, so it is set below.
    let clientAesKey: Uint8Array | undefined;
    const { header } = await openEnvelope(
      ctx.envelopes,
      jwe,
      {
        alg: 'RSA-OAEP-256',
        typ: envelopeTypes.sessionKey,
        method: req.method,
        path: req.originalUrl,
        check: (p) => {
          clientAesKey = clientKey(p);
        },
      },
      lookup,
    );
    // A web channel ends no later than the web key it was opened under (an app version's key does not expire).
    const keyExpiresAt = binding.sessionId ? ctx.ring.acceptedUntil(header.kid) : undefined;
    const { record: channel, key } = await ctx.channels.create(clientAesKey!, {
      ...binding,
      keyExpiresAt,
    });
    const proof = sealResponse(
      ctx.clock,
      key,
      channel.id,
      header,
      201,
      Buffer.from(
        JSON.stringify({
          channel: channel.id,
          expiresAt: new Date(channel.e).toISOString(),
          maxExpiresAt: new Date(channel.m).toISOString(),
        }),
      ),
    );
    ctx.logger.info('key-exchange: channel established', {
      channel: channel.id,
      ...(binding.platform ? { platform: binding.platform, version: binding.version } : { kind: 'web' }),
    });
    res.status(201);
    res.setHeader('Content-Type', 'application/jose');
    res.setHeader('Cache-Control', 'no-store');
    res.end(proof);
  }, ctx.refuse);
}
