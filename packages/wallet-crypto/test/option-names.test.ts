import { randomBytes } from 'node:crypto';
import { envelopeSealer, leakGuard, rotateKeks } from '../src/index.js';

const pkg = '@shieldwall/wallet-crypto';

describe('wallet-crypto: option names are checked at start-up', () => {
  it('envelopeSealer and leakGuard refuse unknown names', () => {
    expect(() => envelopeSealer({ kek: [{ id: 'k1', key: randomBytes(32) }] } as never)).toThrow(
      `${pkg}: envelopeSealer() has no option \`kek\`; did you mean \`keks\`?`,
    );
    expect(() => leakGuard({ maxDepht: 3 } as never)).toThrow(
      `${pkg}: leakGuard() has no option \`maxDepht\`; did you mean \`maxDepth\`?`,
    );
  });

  it('rotateKeks rejects before reading a record or saving one', async () => {
    const sealer = envelopeSealer({ keks: [{ id: 'k1', key: randomBytes(32) }] });
    let read = false;
    const saved: string[] = [];
    const records = (async function* () {
      await Promise.resolve();
      read = true;
      yield { id: 'a', sealed: 'x' };
    })();
    await expect(
      rotateKeks({
        sealer,
        records,
        save: (record: { id: string }) => Promise.resolve(void saved.push(record.id)),
        cursor: 'a',
      } as never),
    ).rejects.toThrow(`${pkg}: rotateKeks() has no option \`cursor\`; did you mean \`resumeAfter\`?`);
    expect(read).toBe(false);
    expect(saved).toEqual([]);
  });
});
