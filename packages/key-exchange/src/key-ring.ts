import { createPrivateKey, generateKeyPair, randomBytes, type KeyObject } from 'node:crypto';
import { promisify } from 'node:util';
import type { PublicJwk } from './jwk.js';
import type { Clock, Logger, Store } from '@shieldwall/core';
import type { SecretSealer } from './sealer.js';

const generateRsa = promisify(generateKeyPair);

/** The public half of a web key as GET /api/security/public-key publishes it. */
export interface PublishedKey extends PublicJwk {
  kty: 'RSA';
  kid: string;
  alg: 'RSA-OAEP-256';
  use: 'enc';
  /** Created, in seconds since the epoch. */
  iat: number;
  /** Accepted until, in seconds since the epoch: establish a channel before then. */
  exp: number;
}

interface KeyMeta {
  kid: string;
  createdAt: number;
  expiresAt: number;
}

interface StoredKey extends KeyMeta {
  publicJwk: PublicJwk;
  /** PKCS#8 DER of the private key, sealed with context { purpose, kid }. */
  sealed: string;
}

export interface WebKeyRingSettings {
  store: Store;
  sealer: SecretSealer;
  clock: Clock;
  logger: Logger;
  rotateEveryMs: number;
  keyLifetimeMs: number;
  modulusLength: number;
  lockTtlMs: number;
}

export interface WebKeyRing {
  /** The newest key, rotating first (under a store lock, one instance only) when it is due. */
  current(): Promise<PublishedKey>;
  /** The private key for a kid that is still accepted, or undefined. */
  privateKey(kid: string): Promise<KeyObject | undefined>;
  /** Until when a key this instance has opened is accepted, ms since the epoch (a channel never outlives it). */
  acceptedUntil(kid: string): number | undefined;
  /** The kids the ring holds, newest first (for tests and operations). */
  list(): Promise<KeyMeta[]>;
}

const indexKey = 'ring:index';
const lockKey = 'ring:lock';
const recordKey = (kid: string): string => `ring:key:${kid}`;
export const webKeyPurpose = 'key-exchange/web-key';

export function createWebKeyRing(settings: WebKeyRingSettings): WebKeyRing {
  const { store, sealer, clock, logger, rotateEveryMs, keyLifetimeMs } = settings;
  let index: KeyMeta[] = [];
  const published = new Map<string, PublishedKey>();
  const privateKeys = new Map<string, { key: KeyObject; expiresAt: number }>();
  let rotating: Promise<PublishedKey> | undefined;

  const fresh = (meta: KeyMeta, now: number): boolean =>
    meta.createdAt <= now && now < meta.createdAt + rotateEveryMs && now < meta.expiresAt;

  async function loadIndex(): Promise<void> {
    const raw = await store.get(indexKey);
    index = raw ? (JSON.parse(raw) as KeyMeta[]) : [];
  }

  async function publishedFor(meta: KeyMeta): Promise<PublishedKey | undefined> {
    const cached = published.get(meta.kid);
    if (cached) return cached;
    const raw = await store.get(recordKey(meta.kid));
    if (!raw) return undefined;
    const record = JSON.parse(raw) as StoredKey;
    const key: PublishedKey = {
      ...(record.publicJwk as { n: string; e: string }),
      kty: 'RSA',
      kid: record.kid,
      alg: 'RSA-OAEP-256',
      use: 'enc',
      iat: Math.floor(record.createdAt / 1000),
      exp: Math.floor(record.expiresAt / 1000),
    };
    published.set(meta.kid, key);
    return key;
  }

  async function newestFresh(): Promise<PublishedKey | undefined> {
    const now = clock.now();
    for (const meta of index) if (fresh(meta, now)) return publishedFor(meta);
    return undefined;
  }

  async function generate(now: number): Promise<void> {
    const kid = `w${now.toString(36)}-${randomBytes(6).toString('base64url')}`;
    const { publicKey, privateKey } = await generateRsa('rsa', { modulusLength: settings.modulusLength });
    const der = privateKey.export({ type: 'pkcs8', format: 'der' });
    const record: StoredKey = {
      kid,
      createdAt: now,
      expiresAt: now + keyLifetimeMs,
      publicJwk: publicKey.export({ format: 'jwk' }),
      sealed: await sealer.seal(new Uint8Array(der), { purpose: webKeyPurpose, kid }),
    };
    await store.set(recordKey(kid), JSON.stringify(record), keyLifetimeMs);
    await loadIndex();
    const kept = index.filter((m) => m.expiresAt > now);
    index = [{ kid, createdAt: now, expiresAt: record.expiresAt }, ...kept];
    await store.set(indexKey, JSON.stringify(index), keyLifetimeMs);
    privateKeys.set(kid, { key: privateKey, expiresAt: record.expiresAt });
    logger.info('key-exchange: web key created', {
      kid,
      expiresAt: new Date(record.expiresAt).toISOString(),
    });
  }

  async function rotate(): Promise<PublishedKey> {
    await loadIndex();
    const already = await newestFresh();
    if (already) return already;
    const token = randomBytes(12).toString('base64url');
    if (await store.setIfAbsent(lockKey, token, settings.lockTtlMs)) {
      try {
        await loadIndex();
        const again = await newestFresh();
        if (again) return again;
        await generate(clock.now());
        return (await newestFresh())!;
      } finally {
        if ((await store.get(lockKey)) === token) await store.delete(lockKey);
      }
    }
    // Another instance is rotating. A key that is still accepted serves meanwhile; with none, wait for it.
    const now = clock.now();
    const accepted = index.find((m) => m.expiresAt > now);
    if (accepted) {
      const key = await publishedFor(accepted);
      if (key) return key;
    }
    const deadline = Date.now() + settings.lockTtlMs;
    while (Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      await loadIndex();
      const done = await newestFresh();
      if (done) return done;
    }
    throw new Error(
      '@shieldwall/key-exchange: the key ring was not rotated in time by the instance holding the lock',
    );
  }

  return {
    async current() {
      const cached = await newestFresh();
      if (cached) return cached;
      rotating ??= rotate().finally(() => {
        rotating = undefined;
      });
      return rotating;
    },

    async privateKey(kid) {
      const now = clock.now();
      const cached = privateKeys.get(kid);
      if (cached) return cached.expiresAt > now ? cached.key : undefined;
      if (!/^w[0-9a-z]+-[A-Za-z0-9_-]{8}$/.test(kid)) return undefined;
      const raw = await store.get(recordKey(kid));
      if (!raw) return undefined;
      const record = JSON.parse(raw) as StoredKey;
      if (record.expiresAt <= now) return undefined;
      let der: Uint8Array;
      try {
        der = await sealer.open(record.sealed, { purpose: webKeyPurpose, kid });
      } catch {
        // Sealed under a KEK this instance does not hold: refuse the envelope, and say so to operators.
        logger.error('key-exchange: a stored web key could not be unsealed', { kid });
        return undefined;
      }
      const key = createPrivateKey({ key: Buffer.from(der), format: 'der', type: 'pkcs8' });
      privateKeys.set(kid, { key, expiresAt: record.expiresAt });
      return key;
    },

    acceptedUntil: (kid) => privateKeys.get(kid)?.expiresAt,

    async list() {
      await loadIndex();
      return index.map((m) => ({ ...m }));
    },
  };
}
