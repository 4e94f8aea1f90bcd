import { randomBytes } from 'node:crypto';
import { manualClock, memoryStore } from '@shieldwall/core';
import { recordingStore } from './helpers/recording-store.js';
import { destinationCap, normaliseDestination } from '../src/messages/destination-cap.js';

describe('destinationCap', () => {
  const hashKey = randomBytes(32);

  it('counts in the shared store: two instances share one budget per destination', async () => {
    const clock = manualClock();
    const store = recordingStore(memoryStore({ clock }));
    const one = destinationCap({ store, hashKey, limit: 2, windowMs: 60_000 });
    const two = destinationCap({ store, hashKey, limit: 2, windowMs: 60_000 });
    const to = { channel: 'sms', to: '+447700900123' } as const;
    expect(await one.take(to)).toEqual({ allowed: true });
    expect(await two.take(to)).toEqual({ allowed: true });
    expect(await one.take(to)).toEqual({ allowed: false, retryAfterMs: 60_000 });
    expect(await two.take({ channel: 'sms', to: '+447700900124' })).toEqual({ allowed: true });
    clock.advance(60_000);
    expect(await two.take(to)).toEqual({ allowed: true });
    // The key holds a keyed hash, never the number (a plain hash of a phone number is reversed by enumeration).
    const keys = store.changedKeys(/./);
    expect(keys.length).toBeGreaterThan(0);
    for (const key of keys) {
      expect(key).toMatch(/^msgcap:[A-Za-z0-9_-]{43}$/);
      expect(key).not.toContain('7700900123');
    }
  });

  it('treats case and plus tags as the same mailbox', () => {
    const of = (to: string) => normaliseDestination({ channel: 'email', to });
    expect(of('Ann+promo@Example.COM')).toBe(of('ann@example.com'));
    expect(of('ann.b@example.com')).not.toBe(of('annb@example.com'));
    expect(of('+x@example.com')).toBe('email:+x@example.com');
  });

  it('refuses options that would not cap', () => {
    const store = memoryStore();
    expect(() => destinationCap({ store, hashKey, limit: 0, windowMs: 60_000 })).toThrow(/limit/);
    expect(() => destinationCap({ store, hashKey, limit: 1, windowMs: 10 })).toThrow(/windowMs/);
    expect(() => destinationCap({ store, hashKey: Buffer.alloc(8), limit: 1, windowMs: 60_000 })).toThrow(
      /hashKey/,
    );
  });
});
