import { randomBytes } from 'node:crypto';
import { claimOnce } from '@shieldwall/core';
import type { ResolvedOptions } from './options.js';

/** A refresh family: one sign-in and every token rotated from it. Written once; revoking deletes it. */
export interface Family {
  sub: string;
  createdAt: number;
  /** Epoch ms: the absolute end of the family, however often it refreshes. */
  expiresAt: number;
}

/** What the first user of a refresh token left behind: its successor, for the grace window. */
export interface UsedRecord {
  next: string;
  at: number;
  /** The successor token's `exp`, in seconds. */
  exp: number;
}

export type ClaimResult =
  | { kind: 'rotated'; jti: string; exp: number }
  | { kind: 'grace'; jti: string; exp: number }
  | { kind: 'reused' };

export const newId = (): string => randomBytes(16).toString('base64url');
const maxFamiliesPerUser = 1000;

// Keys: fam:<id> the family; used:<jti> a spent refresh token; user:<sub> a scored set of the user's families;
// epoch:<sub> the time (ms) before which every family of the user is revoked.
export function familyStore(o: ResolvedOptions) {
  const { store, clock } = o;
  const lifetimeMs = o.familyLifetime * 1000;

  const epochOf = async (sub: string): Promise<number> => {
    // No epoch yet reads as NaN, which the integer check turns into 0 (nothing revoked).
    const epoch = Number(await store.get(`epoch:${sub}`));
    return Number.isSafeInteger(epoch) ? epoch : 0;
  };

  return {
    epochOf,

    /** A family is live when it was created after the user's revocation epoch. */
    isLive(family: Family, epoch: number): boolean {
      return family.createdAt > epoch;
    },

    async create(sub: string): Promise<{ id: string; family: Family }> {
      const id = newId();
      // After the epoch even within its millisecond: a sign-in right after a reset must not be born revoked.
      const createdAt = Math.max(clock.now(), (await epochOf(sub)) + 1);
      const family: Family = { sub, createdAt, expiresAt: createdAt + lifetimeMs };
      await store.set(`fam:${id}`, JSON.stringify(family), lifetimeMs);
      await store.incrementMember(`user:${sub}`, id, 1, lifetimeMs);
      return { id, family };
    },

    async get(id: string): Promise<Family | undefined> {
      const raw = await store.get(`fam:${id}`);
      return raw === undefined ? undefined : (JSON.parse(raw) as Family);
    },

    async revoke(id: string): Promise<boolean> {
      return store.delete(`fam:${id}`);
    },

    /**
     * Ends every family of a user, however many: the epoch moves to now, and a family created at or before it is
     * refused on refresh (and by the session check). It is kept as long as a family lives, so no older family can
     * outlive it. The families the index lists are also deleted, to free the store; returns how many.
     */
    async revokeUser(sub: string): Promise<number> {
      const epoch = Math.max(clock.now(), await epochOf(sub));
      await store.set(`epoch:${sub}`, String(epoch), lifetimeMs);
      const members = await store.topMembers(`user:${sub}`, maxFamiliesPerUser);
      let revoked = 0;
      for (const { member } of members) if (await store.delete(`fam:${member}`)) revoked += 1;
      return revoked;
    },

    /**
     * Spends a refresh token. `setIfAbsent` on its jti is the one atomic step, so across instances exactly one
     * caller rotates it. A later caller inside the grace window gets the same successor (its jti), if that
     * successor is still unspent; anyone else has replayed a retired token.
     */
    async claim(jti: string, tokenExp: number, family: Family): Promise<ClaimResult> {
      const now = clock.now();
      const next = newId();
      const exp = Math.floor(Math.min(now + o.refreshTtl * 1000, family.expiresAt) / 1000);
      // Kept as long as the spent token could still be presented, so a replay is recognised until then.
      const keep = Math.max(tokenExp * 1000 + o.tolerance * 1000 - now, o.graceMs, 1000);
      const record: UsedRecord = { next, at: now, exp };
      // A store with no room to record the claim throws 503 here rather than look like reuse: the family survives.
      const spent = await claimOnce(store, `used:${jti}`, JSON.stringify(record), keep);
      if (spent.claimed) return { kind: 'rotated', jti: next, exp };
      if (o.graceMs === 0) return { kind: 'reused' };
      const first = JSON.parse(spent.existing) as UsedRecord;
      if (now - first.at > o.graceMs) return { kind: 'reused' };
      // Only the immediately previous token has grace: its successor must not have been spent yet.
      if ((await store.get(`used:${first.next}`)) !== undefined) return { kind: 'reused' };
      return { kind: 'grace', jti: first.next, exp: first.exp };
    },
  };
}

export type FamilyStore = ReturnType<typeof familyStore>;
