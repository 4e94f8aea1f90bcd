import { createHash, randomBytes } from 'node:crypto';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { ShieldwallError } from '@shieldwall/core';
import { accessDenied, invalidCallback, invalidStart, providerError, stateMismatch } from '../errors.js';
import type { FlowCookies } from '../flow-cookie.js';
import type { ParsedOptions } from '../options.js';
import { describeError } from '../passport-run.js';
import type { ProviderName } from '../types.js';
import type { OidcClient } from './client.js';
import { refusalReason } from './id-token.js';

const b64 = (bytes: Buffer): string => bytes.toString('base64url');

/** Provider failures (5xx) and refused ID tokens (401) are logged: the first is an outage, the second an attack or a misconfiguration. */
function fail(config: ParsedOptions, name: ProviderName, req: Request, res: Response, next: NextFunction) {
  return (err: unknown): void => {
    const error = err instanceof ShieldwallError ? err : providerError(err);
    if (
      error.status >= 500 ||
      error.code.startsWith('oauth_id_token') ||
      error.code === 'oauth_nonce_mismatch'
    )
      config.logger.warn('oauth provider failure', {
        provider: name,
        code: error.code,
        ...refusalReason(error),
        ...(error.status >= 500 ? { cause: describeError(error.cause) } : {}),
      });
    config.refuse(error, req, res, next);
  };
}

/** `GET <basePath>/<provider>`: a new flow cookie (state, PKCE verifier, nonce) and the redirect to the provider. */
export function oidcStart(
  client: OidcClient,
  name: ProviderName,
  config: ParsedOptions,
  cookies: FlowCookies,
): RequestHandler {
  return function oidcStartHandler(req: Request, res: Response, next: NextFunction) {
    if (['code', 'error', 'state'].some((n) => req.query[n] !== undefined))
      return config.refuse(invalidStart(), req, res, next);
    const verifier = b64(randomBytes(32));
    const nonce = b64(randomBytes(32));
    const challenge = b64(createHash('sha256').update(verifier).digest());
    // Discovery first: when the provider is down, no cookie is set and the answer is 502.
    client.metadata().then(
      async () => {
        const state = cookies.start(res, name, verifier, nonce);
        const location = await client.authorizationUrl(state, nonce, challenge);
        res.setHeader('Cache-Control', 'no-store');
        res.redirect(302, location);
      },
      fail(config, name, req, res, next),
    );
  };
}

/** `GET <basePath>/<provider>/callback`: state, code exchange, ID token, then `onProfile`. */
export function oidcCallback(
  client: OidcClient,
  name: ProviderName,
  config: ParsedOptions,
  cookies: FlowCookies,
): RequestHandler {
  return function oidcCallbackHandler(req: Request, res: Response, next: NextFunction) {
    const { error, code, state } = req.query;
    if (error !== undefined) {
      cookies.clear(res, name);
      if (error === 'access_denied') return config.refuse(accessDenied(), req, res, next);
      config.logger.warn('oauth provider error redirect', { provider: name });
      return next(providerError());
    }
    if (typeof code !== 'string' || code === '' || (state !== undefined && typeof state !== 'string')) {
      cookies.clear(res, name);
      return config.refuse(invalidCallback(), req, res, next);
    }
    const verified = async () => {
      const flow = await cookies.consume(req, res, name, state ?? null);
      if (!flow || !flow.verifier || !flow.nonce) throw stateMismatch();
      const idToken = await client.exchange(code, flow.verifier);
      return client.profile(idToken, flow.nonce);
    };
    verified().then(
      // The app's own failures go to its error handler as they are, not as provider errors.
      (profile) =>
        config.onProfile(profile, req, res).then(() => {
          if (!res.headersSent) res.redirect(302, config.successRedirect);
        }, next),
      fail(config, name, req, res, next),
    );
  };
}
