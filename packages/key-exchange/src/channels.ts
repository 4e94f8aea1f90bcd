import { createSecretKey, randomBytes, type KeyObject } from 'node:crypto';
import type { Clock, Logger, Store } from '@shieldwall/core';
import type { SecretSealer } from './sealer.js';

export interface ChannelRecord {
  id: string;
  /** The 32-byte AES key, sealed by the `SecretSealer` with the context of `sealContext` (never in the clear). */
  k: string;
  /** Web: the session id the channel is bound to. */
  s?: string;
  /** Mobile: platform and version. */
  p?: string;
  v?: string;
  /** Hard end, ms since the epoch: the maximum age, and never after the RSA key it was opened under. Sealed in. */
  m: number;
  /** Idle expiry, ms since the epoch; renewed on use up to `m`. */
  e: number;
}

export interface ChannelBinding {
  sessionId?: string;
  platform?: string;
  version?: string;
  /** The end of the key the channel was opened under (web keys expire), ms since the epoch. */
  keyExpiresAt?: number;
}

export interface Channels {
  /** Stores a new channel (its key sealed) and, for a web session, takes one of its slots. */
  create(key: Uint8Array, binding: ChannelBinding): Promise<{ record: ChannelRecord; key: KeyObject }>;
  get(id: string): Promise<ChannelRecord | undefined>;
  /**
   * Extends the idle expiry, at most once per renewal interval (a tenth of the TTL, at most an hour) and never
   * past the hard end, so busy channels do not write on every request; undefined when there is nothing to renew.
   */
  touch(record: ChannelRecord): Promise<void> | undefined;
  /** The channel's key from this process's cache, when the record matches what was unsealed before. */
  cachedKey(record: ChannelRecord): KeyObject | undefined;
  /** Unseals the channel's key; undefined when it does not open (another KEK, or a record altered in the store). */
  openKey(record: ChannelRecord): Promise<KeyObject | undefined>;
  /** Drops every channel of a web session (logout); true when the session had any channel state. */
  endSession(sessionId: string): Promise<boolean>;
}

export interface ChannelSettings {
  store: Store;
  sealer: SecretSealer;
  clock: Clock;
  logger: Logger;
  ttlMs: number;
  maxAgeMs: number;
  perSession: number;
}

export const channelKeyPurpose = 'key-exchange/channel-key';
const idPattern = /^c[A-Za-z0-9_-]{22}$/;
const cacheLimit = 10_000;

interface CachedKey {
  k: string;
  s: string | undefined;
  p: string | undefined;
  v: string | undefined;
  m: number;
  key: KeyObject;
}

/** What the sealed key is bound to: moving it to another record, session or version, or extending `m`, breaks it. */
const sealContext = (record: Omit<ChannelRecord, 'k' | 'e'>): Record<string, string> => ({
  purpose: channelKeyPurpose,
  kid: record.id,
  s: record.s ?? '',
  p: record.p ?? '',
  v: record.v ?? '',
  m: String(record.m),
});

export function createChannels(settings: ChannelSettings): Channels {
  const { store, sealer, clock, logger, ttlMs, maxAgeMs, perSession } = settings;
  const renewAfterMs = Math.min(60 * 60 * 1000, Math.floor(ttlMs / 10));
  const keys = new Map<string, CachedKey>();
  // A web session's channels sit in `perSession` slots, handed out round-robin by an atomic counter: two tabs
  // opening channels at once get different slots (no read-modify-write of a list), and the oldest is replaced.
  const counterKey = (sid: string): string => `sn:${sid}`;
  const slotKey = (sid: string, slot: number): string => `ss:${sid}:${slot}`;

  const save = (record: ChannelRecord): Promise<void> =>
    store.set(`ch:${record.id}`, JSON.stringify(record), record.e - clock.now());

  function remember(record: ChannelRecord, key: KeyObject): void {
    if (keys.size >= cacheLimit) keys.delete(keys.keys().next().value as string);
    keys.set(record.id, { k: record.k, s: record.s, p: record.p, v: record.v, m: record.m, key });
  }

  return {
    async create(raw, binding) {
      const now = clock.now();
      const m = Math.min(now + maxAgeMs, binding.keyExpiresAt ?? Number.POSITIVE_INFINITY);
      const bound = {
        id: `c${randomBytes(16).toString('base64url')}`,
        m,
        ...(binding.sessionId ? { s: binding.sessionId } : {}),
        ...(binding.platform ? { p: binding.platform, v: binding.version } : {}),
      };
      const record: ChannelRecord = {
        ...bound,
        k: await sealer.seal(raw, sealContext(bound)),
        e: Math.min(now + ttlMs, m),
      };
      await save(record);
      if (record.s) {
        const { value } = await store.increment(counterKey(record.s), maxAgeMs);
        const slot = slotKey(record.s, (value - 1) % perSession);
        const previous = await store.take(slot);
        if (previous) await store.delete(`ch:${previous}`);
        await store.set(slot, record.id, record.m - now);
      }
      const key = createSecretKey(Buffer.from(raw));
      remember(record, key);
      return { record, key };
    },
    async get(id) {
      if (!idPattern.test(id)) return undefined;
      const raw = await store.get(`ch:${id}`);
      if (!raw) return undefined;
      const record = JSON.parse(raw) as ChannelRecord;
      const now = clock.now();
      return record.e > now && record.m > now ? record : undefined;
    },
    touch(record) {
      const now = clock.now();
      if (record.e >= record.m || record.e - now > ttlMs - renewAfterMs) return undefined;
      record.e = Math.min(now + ttlMs, record.m);
      return save(record);
    },
    cachedKey(record) {
      const hit = keys.get(record.id);
      return hit &&
        hit.k === record.k &&
        hit.s === record.s &&
        hit.p === record.p &&
        hit.v === record.v &&
        hit.m === record.m
        ? hit.key
        : undefined;
    },
    async openKey(record) {
      let raw: Uint8Array;
      try {
        raw = await sealer.open(record.k, sealContext(record));
      } catch {
        logger.error('key-exchange: a stored channel key could not be unsealed', { channel: record.id });
        return undefined;
      }
      if (raw.length !== 32) return undefined;
      const key = createSecretKey(Buffer.from(raw));
      remember(record, key);
      return key;
    },
    async endSession(sessionId) {
      let had = await store.delete(counterKey(sessionId));
      for (let slot = 0; slot < perSession; slot++) {
        const id = await store.take(slotKey(sessionId, slot));
        if (id === undefined) continue;
        had = true;
        keys.delete(id);
        await store.delete(`ch:${id}`);
      }
      return had;
    },
  };
}
