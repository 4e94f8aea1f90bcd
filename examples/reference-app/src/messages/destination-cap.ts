import { createHmac } from 'node:crypto';
import type { Logger, Store } from '@shieldwall/core';
import type { Outbox } from '../outbox.js';
import type { MessageContent } from './message.js';

// Per-IP limits and the CAPTCHA bound what one client may ask for; they do not bound what one phone or mailbox
// receives when many clients (a botnet with a CAPTCHA farm) name the same destination. This cap does: a fixed
// window counter per destination in the shared store, so every instance counts against the same budget.

export interface Destination {
  channel: 'email' | 'sms';
  to: string;
}

export type CapDecision = { allowed: true } | { allowed: false; retryAfterMs: number };

export interface DestinationCap {
  /** Counts one message to the destination; beyond the cap, not allowed, with the time until the window ends. */
  take(destination: Destination): Promise<CapDecision>;
}

export interface DestinationCapOptions {
  store: Store;
  /** Keys the destination's hash: a plain hash of a phone number is reversed by trying every number. */
  hashKey: Buffer;
  /** Messages per destination and window (at least 1). */
  limit: number;
  windowMs: number;
}

/**
 * The mailbox or phone a message reaches. E-mail: case-folded, and a `+tag` in the local part dropped (most
 * providers deliver `name+anything@` to `name@`, so tags would otherwise be free extra budgets). SMS: the E.164
 * number, which is canonical already.
 */
export function normaliseDestination({ channel, to }: Destination): string {
  if (channel === 'sms') return `sms:${to.trim()}`;
  const address = to.trim().toLowerCase();
  const at = address.lastIndexOf('@');
  const local = at > 0 ? address.slice(0, at) : address;
  const plus = local.indexOf('+');
  const box = plus > 0 ? local.slice(0, plus) : local;
  return `email:${box}${at > 0 ? address.slice(at) : ''}`;
}

export function destinationCap(options: Readonly<DestinationCapOptions>): DestinationCap {
  const { store, hashKey, limit, windowMs } = options;
  if (!Number.isSafeInteger(limit) || limit < 1) throw new TypeError('destinationCap: limit must be >= 1');
  if (!Number.isSafeInteger(windowMs) || windowMs < 1000)
    throw new TypeError('destinationCap: windowMs must be at least 1000');
  if (hashKey.length < 32) throw new TypeError('destinationCap: hashKey must be at least 32 bytes');

  return {
    async take(destination) {
      const digest = createHmac('sha256', hashKey)
        .update(normaliseDestination(destination))
        .digest('base64url');
      const counter = await store.increment(`msgcap:${digest}`, windowMs);
      if (counter.value <= limit) return { allowed: true };
      return { allowed: false, retryAfterMs: Math.max(1000, counter.ttlMs) };
    },
  };
}

/**
 * Writes a message the requester addressed, unless its destination is over the cap: then nothing is written and
 * the drop is logged without the address. For routes whose answer must not change (it would tell whether an
 * account exists, or give the cap away as an oracle); routes that may refuse call `take` first instead.
 */
export async function sendCapped(
  // The app's Services fit as they are.
  deps: { destinations: DestinationCap; outbox: Pick<Outbox, 'send'>; logger: Logger },
  message: MessageContent,
  kind: string,
): Promise<boolean> {
  const decision = await deps.destinations.take({ channel: message.channel, to: message.to });
  if (!decision.allowed) {
    deps.logger.info('message dropped', { reason: 'destination_cap', channel: message.channel, kind });
    return false;
  }
  await deps.outbox.send(message);
  return true;
}
