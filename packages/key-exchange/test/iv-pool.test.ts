import { nextIv } from '../src/iv-pool.js';

describe('nextIv', () => {
  it('hands out 12-byte IVs that never repeat, across pool refills, and never change once handed out', () => {
    const seen = new Set<string>();
    const kept: Array<{ iv: Buffer; copy: string }> = [];
    for (let i = 0; i < 5000; i++) {
      const iv = nextIv();
      expect(iv).toHaveLength(12);
      const hex = iv.toString('hex');
      expect(seen.has(hex)).toBe(false);
      seen.add(hex);
      if (i % 97 === 0) kept.push({ iv, copy: hex });
    }
    for (const { iv, copy } of kept) expect(iv.toString('hex')).toBe(copy);
  });
});
