import { memoryStore, type Clock, type MemoryStore } from '@shieldwall/core';
import type { ClientRateLimitInfo, Options, Store } from 'express-rate-limit';
import { currentCost } from './request-cost.js';

/**
 * An express-rate-limit store over core's bounded memory store. Unlike express-rate-limit's MemoryStore it reads
 * an injected clock (windows are tested without sleeping), holds at most `maxKeys` clients, and counts weights.
 */
export class ClockMemoryStore implements Store {
  readonly localKeys = true;
  readonly prefix: string;
  private readonly store: MemoryStore;
  private windowMs = 60_000;

  constructor(options: { clock: Clock; maxKeys: number; prefix: string }) {
    this.store = memoryStore({ clock: options.clock, maxEntries: options.maxKeys });
    this.prefix = options.prefix;
  }

  init(options: Options): void {
    this.windowMs = options.windowMs;
  }

  // Synchronous, as express-rate-limit's store contract allows (`ClientRateLimitInfo | Promise<...>`): its await of
  // a plain value costs one tick, where an async chain through the core store cost two promises more per request.
  increment(key: string): ClientRateLimitInfo {
    const counter = this.store.incrementNow(key, this.windowMs, currentCost());
    // express-rate-limit turns resetTime into headers against Date.now(); the TTL is what the clock decided.
    return { totalHits: counter.value, resetTime: new Date(Date.now() + counter.ttlMs) };
  }

  async decrement(key: string): Promise<void> {
    if ((await this.store.get(key)) !== undefined) await this.store.increment(key, this.windowMs, -1);
  }

  async resetKey(key: string): Promise<void> {
    await this.store.delete(key);
  }

  async shutdown(): Promise<void> {
    await this.store.close();
  }
}
