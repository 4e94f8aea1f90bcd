import { memoryStore } from '@shieldwall/core';
import { recordingStore } from '../src/index.js';

describe('recordingStore', () => {
  it('records writes, deletions, takes and counters as changes, and reads only as calls', async () => {
    const inner = memoryStore();
    const store = recordingStore(inner);
    try {
      await store.set('a', '1', 60_000);
      expect(await store.setIfAbsent('a', '2', 60_000)).toBe(false);
      expect(await store.setIfAbsent('b', '2', 60_000)).toBe(true);
      expect(await store.get('a')).toBe('1');
      expect(await store.take('b')).toBe('2');
      expect(await store.take('b')).toBeUndefined();
      expect(await store.delete('a')).toBe(true);
      expect(await store.delete('a')).toBe(false);
      await store.increment('n', 60_000);
      await store.incrementMember('z', 'm', 1, 60_000);
      await store.topMembers('z', 5);
      expect(store.changes).toEqual([
        { op: 'set', key: 'a', value: '1' },
        { op: 'setIfAbsent', key: 'b', value: '2' },
        { op: 'take', key: 'b' },
        { op: 'delete', key: 'a' },
        { op: 'increment', key: 'n' },
        { op: 'incrementMember', key: 'z' },
      ]);
      expect(store.calls.map((c) => c.op)).toEqual([
        'set',
        'setIfAbsent',
        'setIfAbsent',
        'get',
        'take',
        'take',
        'delete',
        'delete',
        'increment',
        'incrementMember',
        'topMembers',
      ]);
      expect(store.changedKeys(/^[ab]$/)).toEqual(['a', 'b', 'b', 'a']);
      // it is a view: the state is the inner store's
      expect((await inner.increment('n', 60_000)).value).toBe(2);
    } finally {
      await inner.close();
    }
  });
});
