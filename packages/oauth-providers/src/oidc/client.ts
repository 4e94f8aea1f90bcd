import type { Clock } from '@shieldwall/core';
import { codeRejected, providerError } from '../errors.js';
import type { TransportOptions } from '../transport.js';
import type { OAuthProfile } from '../types.js';
import type { JWTPayload } from 'jose';
import { discovery, type ProviderMetadata } from './discovery.js';
import { fetchJson, isObject } from './http.js';
import { verifyIdToken } from './id-token.js';
import type { Jwks } from './jwks.js';

/** One OpenID Connect provider as the router uses it. */
export interface OidcProviderSpec {
  clientId: string;
  clientSecret: string;
  /** Without a trailing slash; discovery's `issuer` must equal it. */
  issuer: string;
  /** Other `iss` values the provider documents for the same issuer (Google: `accounts.google.com`). */
  issuerAliases: readonly string[];
  scope: readonly string[];
  redirectUri: string;
  profile(claims: JWTPayload): OAuthProfile;
}

export interface OidcClientContext {
  transport: TransportOptions;
  clock: Clock;
  jwks: Jwks;
  discoveryTtlMs: number;
  idTokenMaxAgeSeconds: number;
  skewSeconds: number;
}

export interface OidcClient {
  metadata(): Promise<ProviderMetadata>;
  /** The authorization request: code flow, S256 PKCE, state and nonce. */
  authorizationUrl(state: string, nonce: string, challenge: string): Promise<string>;
  /** Exchanges the code (with the verifier and the client secret) for the ID token. */
  exchange(code: string, verifier: string): Promise<string>;
  /** Verifies the ID token and reads the profile from its claims. */
  profile(idToken: string, nonce: string): Promise<OAuthProfile>;
}

const form = (fields: Record<string, string>): string => new URLSearchParams(fields).toString();

export function oidcClient(spec: OidcProviderSpec, ctx: OidcClientContext): OidcClient {
  const metadata = discovery({
    issuer: spec.issuer,
    transport: ctx.transport,
    clock: ctx.clock,
    ttlMs: ctx.discoveryTtlMs,
  });
  // RFC 6749 section 2.3.1: id and secret are form-encoded before they are joined for Basic.
  const basic = Buffer.from(
    `${form({ a: spec.clientId }).slice(2)}:${form({ a: spec.clientSecret }).slice(2)}`,
  ).toString('base64');

  return {
    metadata,

    async authorizationUrl(state, nonce, challenge) {
      const url = new URL((await metadata()).authorizationEndpoint);
      url.searchParams.set('response_type', 'code');
      url.searchParams.set('client_id', spec.clientId);
      url.searchParams.set('redirect_uri', spec.redirectUri);
      url.searchParams.set('scope', spec.scope.join(' '));
      url.searchParams.set('state', state);
      url.searchParams.set('nonce', nonce);
      url.searchParams.set('code_challenge', challenge);
      url.searchParams.set('code_challenge_method', 'S256');
      return url.href;
    },

    async exchange(code, verifier) {
      const meta = await metadata();
      const fields: Record<string, string> = {
        grant_type: 'authorization_code',
        code,
        redirect_uri: spec.redirectUri,
        code_verifier: verifier,
        client_id: spec.clientId,
      };
      if (meta.tokenAuth === 'post') fields.client_secret = spec.clientSecret;
      let reply;
      try {
        reply = await fetchJson(ctx.transport, meta.tokenEndpoint, {
          method: 'POST',
          headers: {
            'Content-Type': 'application/x-www-form-urlencoded',
            ...(meta.tokenAuth === 'basic' ? { Authorization: `Basic ${basic}` } : {}),
          },
          body: form(fields),
        });
      } catch (err) {
        throw providerError(err);
      }
      const body = isObject(reply.json) ? reply.json : {};
      if (reply.status === 400 && body.error === 'invalid_grant') throw codeRejected();
      if (reply.status !== 200 || typeof body.id_token !== 'string')
        throw providerError(new Error(`token endpoint: HTTP ${reply.status}, no id_token`));
      // The access and refresh tokens in `body` go no further than this function.
      return body.id_token;
    },

    async profile(idToken, nonce) {
      const meta = await metadata();
      const claims = await verifyIdToken(idToken, {
        getKey: ctx.jwks.resolver(meta.jwksUri),
        issuers: [meta.issuer, ...spec.issuerAliases],
        clientId: spec.clientId,
        algorithms: meta.algorithms,
        nonce,
        now: ctx.clock.now(),
        maxAgeSeconds: ctx.idTokenMaxAgeSeconds,
        skewSeconds: ctx.skewSeconds,
      });
      return spec.profile(claims);
    },
  };
}
