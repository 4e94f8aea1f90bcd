import { ShieldwallError, type Clock, type Logger } from '@shieldwall/core';
import type { ClientRateLimitInfo, Options, Store } from 'express-rate-limit';
import type { ClockMemoryStore } from './memory-store.js';
import type { OutagePolicy } from './options.js';

/** Thrown (and so passed on by express-rate-limit) while the store is down under `fail-open`. */
export class StoreBypassed extends Error {
  override readonly name = 'StoreBypassed';
}

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : typeof error;
}

/**
 * Applies a limiter's outage policy around its Redis store. A failed or timed-out call marks the store down for
 * `retryAfterMs`; meanwhile requests do not wait on Redis at all. Then one request asks Redis again.
 */
export class GuardedStore implements Store {
  readonly localKeys = false;
  readonly prefix: string;
  private downUntil = 0;
  private down = false;
  private bypassed = 0;
  private probing = false;

  constructor(
    private readonly primary: Store & { prefix?: string },
    private readonly fallback: ClockMemoryStore | undefined,
    private readonly settings: {
      name: string;
      policy: OutagePolicy;
      retryAfterMs: number;
      clock: Clock;
      logger: Logger;
    },
  ) {
    this.prefix = primary.prefix ?? '';
  }

  init(options: Options): void | Promise<void> {
    this.fallback?.init(options);
    return this.primary.init?.(options);
  }

  async increment(key: string): Promise<ClientRateLimitInfo> {
    // While down, one request at a time asks Redis again (after the back-off); the others do not wait on it.
    const probe = this.down && !this.probing && this.settings.clock.now() >= this.downUntil;
    if (!this.down || probe) {
      if (probe) this.probing = true;
      try {
        const result = await this.primary.increment(key);
        if (this.down) {
          this.down = false;
          const fields: Record<string, unknown> = { limiter: this.settings.name };
          if (this.settings.policy === 'fail-open') fields.allowedUnlimited = this.bypassed;
          this.bypassed = 0;
          this.settings.logger.info('rate limit store answers again', fields);
        }
        return result;
      } catch (error) {
        this.markDown(error);
      } finally {
        if (probe) this.probing = false;
      }
    }
    return this.degraded(key);
  }

  async decrement(key: string): Promise<void> {
    await this.attempt(
      () => this.primary.decrement(key),
      () => this.fallback?.decrement(key),
    );
  }

  async resetKey(key: string): Promise<void> {
    // The fallback may hold this client's count from an outage: reset both.
    await this.fallback?.resetKey(key);
    await this.attempt(
      () => this.primary.resetKey(key),
      () => undefined,
    );
  }

  async shutdown(): Promise<void> {
    await this.fallback?.shutdown();
  }

  private async attempt(primary: () => unknown, degraded: () => unknown): Promise<void> {
    if (this.down && this.settings.clock.now() < this.downUntil) {
      await degraded();
      return;
    }
    try {
      await primary();
    } catch (error) {
      this.markDown(error);
      await degraded();
    }
  }

  private markDown(error: unknown): void {
    this.downUntil = this.settings.clock.now() + this.settings.retryAfterMs;
    if (this.down) return;
    this.down = true;
    const { name, policy } = this.settings;
    this.settings.logger.warn('rate limit store unavailable', {
      limiter: name,
      policy,
      error: describe(error),
    });
  }

  private degraded(key: string): Promise<ClientRateLimitInfo> {
    switch (this.settings.policy) {
      case 'fallback-memory':
        return Promise.resolve(this.fallback!.increment(key));
      case 'fail-open':
        this.bypassed += 1;
        return Promise.reject(new StoreBypassed('rate limit store unavailable; request allowed (fail-open)'));
      case 'fail-closed': {
        const seconds = String(Math.max(1, Math.ceil((this.downUntil - this.settings.clock.now()) / 1000)));
        return Promise.reject(
          new ShieldwallError(503, 'store_unavailable', 'Rate limiting is unavailable; try again shortly.', {
            headers: { 'Retry-After': seconds },
          }),
        );
      }
    }
  }
}
