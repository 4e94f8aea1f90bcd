/**
 * A store view that records what a request did to the store, so a refusal test can assert that nothing changed:
 * not only writes but deletions and takes (a refused sign-in that ended the victim's sessions, or burned their
 * reset token, changed the store too). The app's own copy of the workspace's test helper, so a copied app needs
 * nothing unpublished.
 */
export interface RecordableStore {
  get(key: string): Promise<string | undefined>;
  set(key: string, value: string, ttlMs: number): Promise<void>;
  setIfAbsent(key: string, value: string, ttlMs: number): Promise<boolean>;
  take(key: string): Promise<string | undefined>;
  delete(key: string): Promise<boolean>;
  increment(key: string, ttlMs: number, by?: number): Promise<unknown>;
  incrementMember(key: string, member: string, by: number, ttlMs: number): Promise<number>;
  topMembers(key: string, limit: number): Promise<unknown>;
}

export type StoreOperation = 'get' | 'topMembers' | StoreChange['op'];

/** A call that changed the store: a `setIfAbsent` that set, a `take` that found a value, a `delete` of a key. */
export interface StoreChange {
  op: 'set' | 'setIfAbsent' | 'take' | 'delete' | 'increment' | 'incrementMember';
  key: string;
  /** What `set` and `setIfAbsent` wrote (for leak checks over everything stored). */
  value?: string;
}

export type RecordingStore<S extends RecordableStore> = S & {
  /** Every call, reads included, in order. */
  readonly calls: ReadonlyArray<{ op: StoreOperation; key: string }>;
  /** Every call that changed the store, in order. */
  readonly changes: readonly StoreChange[];
  /** The keys of `changes`, optionally only those matching `pattern`. */
  changedKeys(pattern?: RegExp): string[];
};

export function recordingStore<S extends RecordableStore>(inner: S): RecordingStore<S> {
  const calls: Array<{ op: StoreOperation; key: string }> = [];
  const changes: StoreChange[] = [];
  const call = (op: StoreOperation, key: string): void => void calls.push({ op, key });
  const changed = (op: StoreChange['op'], key: string, value?: string): void =>
    void changes.push(value === undefined ? { op, key } : { op, key, value });
  return {
    ...inner,
    calls,
    changes,
    changedKeys: (pattern?: RegExp) =>
      changes.map((c) => c.key).filter((key) => pattern === undefined || pattern.test(key)),
    get(key: string) {
      call('get', key);
      return inner.get(key);
    },
    topMembers(key: string, limit: number) {
      call('topMembers', key);
      return inner.topMembers(key, limit);
    },
    async set(key: string, value: string, ttlMs: number) {
      call('set', key);
      changed('set', key, value);
      return inner.set(key, value, ttlMs);
    },
    async setIfAbsent(key: string, value: string, ttlMs: number) {
      call('setIfAbsent', key);
      const set = await inner.setIfAbsent(key, value, ttlMs);
      if (set) changed('setIfAbsent', key, value);
      return set;
    },
    async take(key: string) {
      call('take', key);
      const value = await inner.take(key);
      if (value !== undefined) changed('take', key);
      return value;
    },
    async delete(key: string) {
      call('delete', key);
      const existed = await inner.delete(key);
      if (existed) changed('delete', key);
      return existed;
    },
    async increment(key: string, ttlMs: number, by?: number) {
      call('increment', key);
      changed('increment', key);
      return inner.increment(key, ttlMs, by);
    },
    async incrementMember(key: string, member: string, by: number, ttlMs: number) {
      call('incrementMember', key);
      changed('incrementMember', key);
      return inner.incrementMember(key, member, by, ttlMs);
    },
  };
}
