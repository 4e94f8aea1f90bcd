import type { Request } from 'express';
import type OAuth2Strategy from 'passport-oauth2';
import type { FlowCookies } from '../flow-cookie.js';
import { providerError } from '../errors.js';
import { flowContext, installTransport, type NodeOAuth2, type TransportOptions } from '../transport.js';
import type { OAuthClientOptions, OAuthEndpoints, OAuthProfile, OAuthProviderName } from '../types.js';

/** What every OAuth 2 strategy here is built from. */
export interface StrategyContext {
  client: OAuthClientOptions;
  callbackURL: string;
  cookies: FlowCookies;
  transport: TransportOptions;
}

export type ProfileDone = (err: unknown, profile?: OAuthProfile) => void;

/**
 * The provider's endpoints: its real URLs, with `baseUrl` replacing scheme and host (paths stay the provider's),
 * then single `endpoints` overrides.
 */
export function resolveEndpoints<K extends keyof OAuthEndpoints>(
  defaults: Readonly<Record<K, string>>,
  client: OAuthClientOptions,
): Record<K, string> {
  const base = client.baseUrl?.replace(/\/+$/, '');
  const resolved = {} as Record<K, string>;
  for (const name of Object.keys(defaults) as K[]) {
    const real = new URL(defaults[name]);
    resolved[name] = client.endpoints?.[name] ?? (base ? `${base}${real.pathname}${real.search}` : real.href);
  }
  return resolved;
}

/** passport-oauth2's custom state store interface, over the signed flow cookie instead of express-session. */
export function cookieStateStore(
  cookies: FlowCookies,
  provider: OAuthProviderName,
): OAuth2Strategy.StateStore {
  const store = {
    // The arities matter: passport-oauth2 passes the PKCE verifier only to a five-argument `store`.
    store(
      req: Request,
      verifier: string,
      _state: unknown,
      _meta: unknown,
      callback: (e: unknown, s?: string) => void,
    ) {
      try {
        callback(null, cookies.start(req.res!, provider, verifier));
      } catch (err) {
        callback(err);
      }
    },
    verify(
      req: Request,
      providedState: unknown,
      _meta: unknown,
      callback: (e: unknown, ok?: unknown, s?: unknown) => void,
    ) {
      cookies.consume(req, req.res!, provider, providedState ?? null).then(
        (flow) =>
          flow && flow.verifier
            ? callback(null, flow.verifier, { provider })
            : callback(null, false, { code: 'oauth_state_mismatch' }),
        (err: unknown) => callback(err),
      );
    },
  };
  return store as unknown as OAuth2Strategy.StateStore;
}

/** The passport-oauth2 options every provider shares: PKCE S256, the cookie state store, the request in verify. */
export function baseOptions(ctx: StrategyContext, provider: OAuthProviderName) {
  return {
    clientID: ctx.client.clientId,
    clientSecret: ctx.client.clientSecret,
    callbackURL: ctx.callbackURL,
    store: cookieStateStore(ctx.cookies, provider),
    pkce: true,
    passReqToCallback: true as const,
  };
}

/**
 * The verify callback: the strategies already produce the normalised profile. The provider's access and refresh
 * tokens arrive here and go no further: not on `req`, not in the profile, not in a log.
 */
export function verifyProfile(
  _req: Request,
  _accessToken: string,
  _refreshToken: string,
  profile: OAuthProfile,
  done: (err: unknown, user?: OAuthProfile) => void,
): void {
  done(null, profile);
}

/** Hooks the strategy's node-oauth client to the fetch transport. */
export function useTransport(strategy: OAuth2Strategy, transport: TransportOptions): NodeOAuth2 {
  const oauth2 = (strategy as unknown as { _oauth2: NodeOAuth2 })._oauth2;
  installTransport(oauth2, transport);
  return oauth2;
}

/** Calls node-oauth and parses the JSON body; any failure becomes 502 `oauth_provider_error`. */
export function requestJson(
  oauth2: NodeOAuth2,
  method: 'GET' | 'POST',
  url: string,
  headers: Record<string, string>,
  body: string | null,
  accessToken: string | null,
): Promise<unknown> {
  return new Promise((resolve, reject) => {
    oauth2._request(method, url, headers, body, accessToken, (err, text) => {
      if (err) return reject(providerError(err));
      try {
        resolve(JSON.parse(text ?? ''));
      } catch (parseError) {
        reject(providerError(parseError));
      }
    });
  });
}

export function stringOrNull(value: unknown): string | null {
  return typeof value === 'string' && value.length > 0 ? value : null;
}

export function idOf(value: unknown): string {
  if (
    (typeof value === 'string' && value.length > 0) ||
    (typeof value === 'number' && Number.isSafeInteger(value))
  )
    return String(value);
  throw providerError(new Error('the provider profile has no user id'));
}

export function objectOf(value: unknown): Record<string, unknown> {
  if (typeof value === 'object' && value !== null && !Array.isArray(value))
    return value as Record<string, unknown>;
  throw providerError(new Error('the provider profile is not an object'));
}

/** Hands an async profile load to passport's callback; a throw inside the callback still answers the request. */
export function settle(load: Promise<OAuthProfile>, done: ProfileDone): void {
  const context = flowContext.getStore();
  load
    .then(
      (profile) => done(null, profile),
      (err: unknown) => done(err),
    )
    .catch((err: unknown) => context?.fail(err));
}
