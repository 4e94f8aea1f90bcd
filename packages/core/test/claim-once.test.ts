import { claimOnce, isShieldwallError, manualClock, memoryStore } from '../src/index.js';

describe('core: claimOnce', () => {
  it('claims once, then reports the recorded value', async () => {
    const store = memoryStore();
    expect(await claimOnce(store, 'id', 'first', 60_000)).toEqual({ claimed: true });
    expect(await claimOnce(store, 'id', 'second', 60_000)).toEqual({ claimed: false, existing: 'first' });
    await store.close();
  });

  it('throws 503 store_unavailable when the store had no room to record the claim, and records nothing', async () => {
    const store = memoryStore({ clock: manualClock(), maxEntries: 1 });
    expect(await claimOnce(store, 'taken', '1', 60_000)).toEqual({ claimed: true });
    const error: unknown = await claimOnce(store, 'new', '1', 60_000).catch((e: unknown) => e);
    expect(isShieldwallError(error) && [error.status, error.code]).toEqual([503, 'store_unavailable']);
    expect(await store.get('new')).toBeUndefined();
    await store.close();
  });
});
