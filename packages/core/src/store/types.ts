/**
 * The key-value store every stateful Shieldwall package keeps its state in: rate counters, sessions, key rings,
 * refresh families, replay caches, challenges. Values are strings (callers serialise); every key has a TTL.
 * Operations that must be atomic across instances (increment, setIfAbsent, take, incrementMember) are atomic in
 * every implementation.
 */
export interface Store {
  get(key: string): Promise<string | undefined>;
  /** Sets a value that expires after `ttlMs`, replacing any value and TTL. */
  set(key: string, value: string, ttlMs: number): Promise<void>;
  /** Sets the value only when the key is absent; true when this call set it. The basis of single-use ids and locks. */
  setIfAbsent(key: string, value: string, ttlMs: number): Promise<boolean>;
  /** Atomically reads and deletes: of two concurrent takers of one key, exactly one gets the value. */
  take(key: string): Promise<string | undefined>;
  /** True when the key existed. */
  delete(key: string): Promise<boolean>;
  /**
   * Adds `by` (default 1) to a counter. The TTL starts when the counter is created and is not extended by later
   * increments, so counters implement fixed windows.
   */
  increment(key: string, ttlMs: number, by?: number): Promise<Counter>;
  /** Adds `by` to a member's score in a scored set and (re)sets the set's TTL; returns the new score. */
  incrementMember(key: string, member: string, by: number, ttlMs: number): Promise<number>;
  /** The members with the highest scores, highest first. */
  topMembers(key: string, limit: number): Promise<ScoredMember[]>;
  /** Resolves when the store answers; rejects with StoreUnavailableError otherwise. For health checks. */
  ping(): Promise<void>;
  /** Releases timers and connections the store owns (never a client that was passed in). */
  close(): Promise<void>;
}

export interface Counter {
  value: number;
  /** Milliseconds until the counter expires. */
  ttlMs: number;
}

export interface ScoredMember {
  member: string;
  score: number;
}
