import { createLocalJWKSet, type JSONWebKeySet, type JWTVerifyGetKey } from 'jose';
import type { Clock } from '@shieldwall/core';
import { jwksUnavailable } from '../errors.js';
import type { TransportOptions } from '../transport.js';
import { fetchJson, isObject } from './http.js';

export interface JwksOptions {
  transport: TransportOptions;
  clock: Clock;
  /** Keys are fetched again after this long, whatever happens. */
  maxAgeMs: number;
  /** The least time between two fetches caused by a `kid` the cached set does not have. */
  refreshMs: number;
}

export interface Jwks {
  /** The key resolver for jose's `jwtVerify`, for the JWKS at `uri`. */
  resolver(uri: string): JWTVerifyGetKey;
}

type LocalSet = ReturnType<typeof createLocalJWKSet>;

/**
 * The provider's signing keys, cached. A token whose `kid` is not in the cached set makes one new fetch (the
 * provider rotated its keys), at most once per `refreshMs`, so a stream of unknown `kid`s cannot turn into a
 * stream of requests to the provider. The clock is injected, so tests move time instead of sleeping.
 */
export function jwks(options: JwksOptions): Jwks {
  const { transport, clock, maxAgeMs, refreshMs } = options;
  const sets = new Map<
    string,
    { set?: LocalSet; fetchedAt: number; triedAt: number; pending?: Promise<LocalSet> }
  >();

  const fetchSet = async (uri: string): Promise<LocalSet> => {
    try {
      const reply = await fetchJson(transport, uri);
      if (reply.status !== 200) throw new Error(`jwks: HTTP ${reply.status}`);
      if (!isObject(reply.json) || !Array.isArray(reply.json.keys)) throw new Error('jwks: no keys array');
      // createLocalJWKSet checks the shape; keys this package cannot use are skipped when a token is checked.
      return createLocalJWKSet(reply.json as unknown as JSONWebKeySet);
    } catch (err) {
      throw jwksUnavailable(err);
    }
  };

  const refresh = (uri: string): Promise<LocalSet> => {
    let entry = sets.get(uri);
    if (!entry) {
      entry = { fetchedAt: 0, triedAt: -Infinity };
      sets.set(uri, entry);
    }
    const current = entry;
    current.pending ??= (async () => {
      current.triedAt = clock.now();
      try {
        const set = await fetchSet(uri);
        current.set = set;
        current.fetchedAt = clock.now();
        return set;
      } finally {
        current.pending = undefined;
      }
    })();
    return current.pending;
  };

  return {
    resolver(uri) {
      return async function jwksKey(header, token) {
        const entry = sets.get(uri);
        const fresh = entry?.set && clock.now() - entry.fetchedAt < maxAgeMs ? entry.set : undefined;
        const set = fresh ?? (await refresh(uri));
        try {
          return await set(header, token);
        } catch (err) {
          const unknownKid = (err as { code?: unknown }).code === 'ERR_JWKS_NO_MATCHING_KEY';
          const after = sets.get(uri)!;
          if (!unknownKid || clock.now() - after.triedAt < refreshMs) throw err;
          return (await refresh(uri))(header, token);
        }
      };
    },
  };
}
