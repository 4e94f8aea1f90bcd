import { AsyncLocalStorage } from 'node:async_hooks';

// express-rate-limit's Store.increment(key) has no weight argument. A limiter with a `cost` option runs its
// express-rate-limit middleware inside this context so the store can read the weight of the request it counts.
const costContext = new AsyncLocalStorage<number>();

export function runWithCost<T>(cost: number, fn: () => T): T {
  return costContext.run(cost, fn);
}

/** The weight of the request being counted; 1 outside a weighted limiter. */
export function currentCost(): number {
  return costContext.getStore() ?? 1;
}
