import type { Store } from './types.js';

/** A view of a store in which every key carries a prefix: each package keeps its keys apart this way. */
export function prefixedStore(store: Store, prefix: string): Store {
  const k = (key: string): string => prefix + key;
  return {
    get: (key) => store.get(k(key)),
    set: (key, value, ttlMs) => store.set(k(key), value, ttlMs),
    setIfAbsent: (key, value, ttlMs) => store.setIfAbsent(k(key), value, ttlMs),
    take: (key) => store.take(k(key)),
    delete: (key) => store.delete(k(key)),
    increment: (key, ttlMs, by) => store.increment(k(key), ttlMs, by),
    incrementMember: (key, member, by, ttlMs) => store.incrementMember(k(key), member, by, ttlMs),
    topMembers: (key, limit) => store.topMembers(k(key), limit),
    ping: () => store.ping(),
    // The underlying store is shared; closing a view must not close it for everyone else.
    close: () => Promise.resolve(),
  };
}
