import { createSecretKey, randomBytes, type KeyObject } from 'node:crypto';
import type { Clock, Store } from '@shieldwall/core';

export interface ChannelRecord {
  id: string;
  /** base64url of the 32-byte AES key. */
  k: string;
  /** Web: the session id the channel is bound to. */
  s?: string;
  /** Mobile: platform and version. */
  p?: string;
  v?: string;
  /** Expiry, ms since the epoch. */
  e: number;
}

export interface Channels {
  create(
    key: Uint8Array,
    binding: { sessionId?: string; platform?: string; version?: string },
  ): Promise<ChannelRecord>;
  get(id: string): Promise<ChannelRecord | undefined>;
  /**
   * Extends the TTL, at most once per renewal interval (a tenth of the TTL, at most an hour) so busy channels do
   * not write on every request; undefined when there was nothing to renew.
   */
  touch(record: ChannelRecord): Promise<void> | undefined;
  keyOf(record: ChannelRecord): KeyObject;
  /** Drops the channel bound to a web session (logout): its key stops working at once. */
  endSession(sessionId: string): Promise<void>;
}

const idPattern = /^c[A-Za-z0-9_-]{22}$/;
const cacheLimit = 10_000;

export function createChannels(store: Store, clock: Clock, ttlMs: number): Channels {
  const renewAfterMs = Math.min(60 * 60 * 1000, Math.floor(ttlMs / 10));
  const keys = new Map<string, KeyObject>();

  const save = (record: ChannelRecord): Promise<void> =>
    store.set(`ch:${record.id}`, JSON.stringify(record), record.e - clock.now());

  return {
    async create(key, binding) {
      const record: ChannelRecord = {
        id: `c${randomBytes(16).toString('base64url')}`,
        k: Buffer.from(key).toString('base64url'),
        e: clock.now() + ttlMs,
        ...(binding.sessionId ? { s: binding.sessionId } : {}),
        ...(binding.platform ? { p: binding.platform, v: binding.version } : {}),
      };
      await save(record);
      if (binding.sessionId) {
        // One channel per web session: a new handshake retires the previous channel.
        const previous = await store.get(`sch:${binding.sessionId}`);
        if (previous) await store.delete(`ch:${previous}`);
        await store.set(`sch:${binding.sessionId}`, record.id, ttlMs);
      }
      return record;
    },
    async get(id) {
      if (!idPattern.test(id)) return undefined;
      const raw = await store.get(`ch:${id}`);
      if (!raw) return undefined;
      const record = JSON.parse(raw) as ChannelRecord;
      return record.e > clock.now() ? record : undefined;
    },
    touch(record) {
      const now = clock.now();
      if (record.e - now > ttlMs - renewAfterMs) return undefined;
      record.e = now + ttlMs;
      return save(record).then(() => (record.s ? store.set(`sch:${record.s}`, record.id, ttlMs) : undefined));
    },
    async endSession(sessionId) {
      const id = await store.take(`sch:${sessionId}`);
      if (id) await store.delete(`ch:${id}`);
    },
    keyOf(record) {
      let key = keys.get(record.k);
      if (!key) {
        if (keys.size >= cacheLimit) keys.delete(keys.keys().next().value as string);
        key = createSecretKey(Buffer.from(record.k, 'base64url'));
        keys.set(record.k, key);
      }
      return key;
    },
  };
}
