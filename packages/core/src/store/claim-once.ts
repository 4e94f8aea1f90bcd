import { StoreUnavailableError } from '../errors.js';
import type { Store } from './types.js';

/** What claimOnce found: the claim is ours, or someone's earlier claim with the value it recorded. */
export type ClaimResult = { claimed: true } | { claimed: false; existing: string };

/**
 * `setIfAbsent` for single-use ids, telling a claim already taken from a store that had no room to record one
 * (core's memory store refuses new claims while all its claim slots are live): the first is `{ claimed: false }`
 * with the recorded value, the second throws 503 `store_unavailable`, so a full store is never taken for a replay.
 */
export async function claimOnce(
  store: Store,
  key: string,
  value: string,
  ttlMs: number,
): Promise<ClaimResult> {
  if (await store.setIfAbsent(key, value, ttlMs)) return { claimed: true };
  const existing = await store.get(key);
  if (existing === undefined) throw new StoreUnavailableError('The store is full; try again shortly.');
  return { claimed: false, existing };
}
