import { randomBytes } from 'node:crypto';
import {
  envelopeSealer,
  parseEnvelope,
  rotateKeks,
  type RotationProgress,
  type RotationRecord,
} from '../src/index.js';

const oldKek = { id: 'old', key: randomBytes(32) };
const newKek = { id: 'new', key: randomBytes(32) };
const contextOf = (id: string) => ({ rowId: id, purpose: 'test' });

async function table(count: number): Promise<Map<string, string>> {
  const old = envelopeSealer({ keks: [oldKek] });
  const rows = new Map<string, string>();
  for (let i = 0; i < count; i += 1) {
    const id = `r${String(i).padStart(3, '0')}`;
    rows.set(id, await old.seal(Buffer.from(`secret ${id}`), contextOf(id)));
  }
  return rows;
}

async function* after(rows: Map<string, string>, cursor: string | undefined): AsyncIterable<RotationRecord> {
  for (const id of [...rows.keys()].sort())
    if (cursor === undefined || id > cursor) yield { id, sealed: rows.get(id)! };
}

describe('rotateKeks', () => {
  it('moves every record to the current KEK, reports progress, and everything still opens', async () => {
    const rows = await table(25);
    const sealer = envelopeSealer({ keks: [newKek, oldKek] });
    const progress: RotationProgress[] = [];
    const report = await rotateKeks({
      sealer,
      records: (cursor) => after(rows, cursor),
      save: async (record, sealed) => void rows.set(record.id, sealed),
      onProgress: (p) => void progress.push({ ...p }),
      progressEvery: 10,
    });
    expect(report).toMatchObject({
      scanned: 25,
      rewrapped: 25,
      current: 0,
      failed: 0,
      completed: true,
      cursor: 'r024',
    });
    expect(progress.map((p) => p.scanned)).toEqual([10, 20, 25]);
    const retired = envelopeSealer({ keks: [newKek] });
    for (const [id, sealed] of rows) {
      expect(parseEnvelope(sealed).kekId).toBe('new');
      expect(Buffer.from(await retired.open(sealed, contextOf(id))).toString()).toBe(`secret ${id}`);
    }
  });

  it('stops on abort and resumes from the cursor without redoing saved records', async () => {
    const rows = await table(20);
    const sealer = envelopeSealer({ keks: [newKek, oldKek] });
    const saved: string[] = [];
    const controller = new AbortController();
    const first = await rotateKeks({
      sealer,
      records: (cursor) => after(rows, cursor),
      save: async (record, sealed) => {
        rows.set(record.id, sealed);
        saved.push(record.id);
        if (saved.length === 7) controller.abort();
      },
      signal: controller.signal,
    });
    expect(first).toMatchObject({ completed: false, rewrapped: 7, cursor: 'r006' });
    expect(parseEnvelope(rows.get('r007')!).kekId).toBe('old');

    const second = await rotateKeks({
      sealer,
      records: (cursor) => after(rows, cursor),
      save: async (record, sealed) => {
        rows.set(record.id, sealed);
        saved.push(record.id);
      },
      resumeAfter: first.cursor,
    });
    expect(second).toMatchObject({ completed: true, scanned: 13, rewrapped: 13 });
    expect(new Set(saved).size).toBe(20);
    expect(saved).toHaveLength(20);
  });

  it('resumes over a plain iterable by skipping up to the cursor, and counts current records', async () => {
    const rows = await table(6);
    const sealer = envelopeSealer({ keks: [newKek, oldKek] });
    rows.set('r001', await sealer.rewrap(rows.get('r001')!));
    const seen: string[] = [];
    const report = await rotateKeks({
      sealer,
      records: after(rows, undefined),
      save: async (record, sealed) => {
        seen.push(record.id);
        rows.set(record.id, sealed);
      },
      resumeAfter: 'r000',
    });
    expect(seen).toEqual(['r002', 'r003', 'r004', 'r005']);
    expect(report).toMatchObject({ scanned: 5, rewrapped: 4, current: 1, completed: true });
  });

  it('lists records it cannot rewrap and goes on; a failing save stops it with the cursor before it', async () => {
    const rows = await table(4);
    rows.set('r001', 'swe1.gone.AAAA.AAAAAAAAAAAAAAAA.AAAA.AAAAAAAAAAAAAAAAAAAAAA');
    rows.set('r002', 'garbage');
    const sealer = envelopeSealer({ keks: [newKek, oldKek] });
    const report = await rotateKeks({
      sealer,
      records: (cursor) => after(rows, cursor),
      save: async (record, sealed) => void rows.set(record.id, sealed),
    });
    expect(report.failures).toEqual([
      { id: 'r001', code: 'unknown_key' },
      { id: 'r002', code: 'unsupported_version' },
    ]);
    expect(report).toMatchObject({ rewrapped: 2, failed: 2, completed: true });

    const more = await table(3);
    const progress: RotationProgress[] = [];
    await expect(
      rotateKeks({
        sealer,
        records: (cursor) => after(more, cursor),
        save: async (record) => {
          if (record.id === 'r001') throw new Error('database down');
        },
        onProgress: (p) => void progress.push(p),
        progressEvery: 1,
      }),
    ).rejects.toThrow('database down');
    expect(progress.at(-1)?.cursor).toBe('r000');
  });

  it('validates its options', async () => {
    const sealer = envelopeSealer({ keks: [newKek] });
    await expect(
      rotateKeks({ sealer, records: after(new Map(), undefined), save: async () => {}, progressEvery: 0 }),
    ).rejects.toThrow(/progressEvery/);
  });
});
