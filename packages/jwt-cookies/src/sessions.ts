import type { Family, FamilyStore } from './families.js';
import type { ResolvedOptions } from './options.js';

interface Cached {
  live: boolean;
  until: number;
}

/**
 * Whether an access token's session (its refresh family) is still live: not logged out, not ended by
 * `revokeUser`. Answers come from the store through a local cache of `cacheMs`: a revocation is seen at once by the
 * instance that made it (it updates its cache) and by every other instance within `cacheMs`. The cache is a Map of
 * at most `maxCached` sessions, emptied when full, so it never grows into a slow rehash.
 */
export function sessionChecker(o: ResolvedOptions, families: FamilyStore) {
  const settings = o.sessionCheck;
  const cache = new Map<string, Cached>();
  const remember = (sid: string, live: boolean): boolean => {
    if (!settings || settings.cacheMs === 0) return live;
    if (cache.size >= settings.maxCached) cache.clear();
    cache.set(sid, { live, until: o.clock.now() + settings.cacheMs });
    return live;
  };

  return {
    enabled: settings !== undefined,

    async isLive(sub: string, sid: string): Promise<boolean> {
      const hit = cache.get(sid);
      if (hit && hit.until > o.clock.now()) return hit.live;
      const [family, epoch] = await Promise.all([families.get(sid), families.epochOf(sub)]);
      return remember(sid, live(family, sub, epoch, families));
    },

    /** This instance ended a session: it is refused here from now on. */
    ended(sid: string): void {
      if (settings) remember(sid, false);
    },

    /** This instance ended every session of a user: forget what it knew, so the next check reads the epoch. */
    endedAll(): void {
      // Sessions are cached by id, not by user; dropping the cache is rare (a reset) and cheap at this size.
      cache.clear();
    },
  };
}

function live(family: Family | undefined, sub: string, epoch: number, families: FamilyStore): boolean {
  return family !== undefined && family.sub === sub && families.isLive(family, epoch);
}

export type SessionChecker = ReturnType<typeof sessionChecker>;
