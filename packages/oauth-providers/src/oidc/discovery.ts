import type { Clock } from '@shieldwall/core';
import { discoveryFailed } from '../errors.js';
import type { TransportOptions } from '../transport.js';
import { fetchJson, isObject } from './http.js';

/** What this package takes from a provider's OpenID discovery document, checked. */
export interface ProviderMetadata {
  issuer: string;
  authorizationEndpoint: string;
  tokenEndpoint: string;
  jwksUri: string;
  /** The ID token algorithms the provider announces, limited to the asymmetric ones jose verifies. */
  algorithms: string[];
  /** How the client secret goes to the token endpoint. */
  tokenAuth: 'basic' | 'post';
}

// Asymmetric signatures only: a MAC algorithm (HS256) would make the client secret a verification key, which is
// what an attacker who knows it (or guesses that the server mixes the two) forges with; `none` is no signature.
const verifiable = new Set([
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
  'Ed25519',
]);

function endpoint(doc: Record<string, unknown>, name: string, issuer: URL): string {
  const value = doc[name];
  let url: URL | undefined;
  try {
    url = typeof value === 'string' ? new URL(value) : undefined;
  } catch {
    url = undefined;
  }
  // An https issuer only ever sends its users and secrets to https endpoints; an http issuer (tests, a local
  // gateway) may use http too.
  const schemes = issuer.protocol === 'https:' ? ['https:'] : ['https:', 'http:'];
  if (!url || !schemes.includes(url.protocol)) throw new Error(`discovery: bad ${name}`);
  return url.href;
}

/** Checks a discovery document against the configured issuer (OpenID Connect Discovery 1.0, section 4.3). */
export function parseDiscovery(issuer: string, doc: unknown): ProviderMetadata {
  if (!isObject(doc)) throw new Error('discovery: not a JSON object');
  if (doc.issuer !== issuer) throw new Error('discovery: issuer does not match the configured issuer');
  const base = new URL(issuer);
  const announced = doc.id_token_signing_alg_values_supported;
  const algorithms = Array.isArray(announced)
    ? announced.filter((alg): alg is string => typeof alg === 'string' && verifiable.has(alg))
    : [];
  if (algorithms.length === 0) throw new Error('discovery: no asymmetric ID token algorithm announced');
  // OpenID Connect Discovery: client_secret_basic when the provider says nothing.
  const methods = Array.isArray(doc.token_endpoint_auth_methods_supported)
    ? doc.token_endpoint_auth_methods_supported
    : ['client_secret_basic'];
  const tokenAuth = methods.includes('client_secret_basic')
    ? 'basic'
    : methods.includes('client_secret_post')
      ? 'post'
      : undefined;
  if (!tokenAuth) throw new Error('discovery: neither client_secret_basic nor client_secret_post supported');
  return {
    issuer,
    authorizationEndpoint: endpoint(doc, 'authorization_endpoint', base),
    tokenEndpoint: endpoint(doc, 'token_endpoint', base),
    jwksUri: endpoint(doc, 'jwks_uri', base),
    algorithms,
    tokenAuth,
  };
}

export interface DiscoveryOptions {
  issuer: string;
  transport: TransportOptions;
  clock: Clock;
  /** How long a document read is reused. */
  ttlMs: number;
}

/**
 * Reads `${issuer}/.well-known/openid-configuration` on first use and reuses it for `ttlMs`; concurrent callers
 * share one request. A failure is not kept: the next sign-in tries again.
 */
export function discovery(options: DiscoveryOptions): () => Promise<ProviderMetadata> {
  const { issuer, transport, clock, ttlMs } = options;
  const url = `${issuer}/.well-known/openid-configuration`;
  let cached: { metadata: ProviderMetadata; at: number } | undefined;
  let pending: Promise<ProviderMetadata> | undefined;

  const load = async (): Promise<ProviderMetadata> => {
    try {
      const reply = await fetchJson(transport, url);
      if (reply.status !== 200) throw new Error(`discovery: HTTP ${reply.status}`);
      const metadata = parseDiscovery(issuer, reply.json);
      cached = { metadata, at: clock.now() };
      return metadata;
    } catch (err) {
      throw discoveryFailed(err);
    }
  };

  return function providerMetadata() {
    if (cached && clock.now() - cached.at < ttlMs) return Promise.resolve(cached.metadata);
    pending ??= load().finally(() => {
      pending = undefined;
    });
    return pending;
  };
}
