import { monitorEventLoopDelay } from 'node:perf_hooks';
import { ShieldwallConfigError } from '@shieldwall/core';
import { passwords, type Passwords } from '../src/index.js';

describe('passwords', () => {
  let pw: Passwords;
  beforeAll(() => {
    pw = passwords({ cost: 4, poolSize: 2 });
  });
  afterAll(async () => {
    await pw.close();
  });

  it('hashes with the configured cost and verifies', async () => {
    const hash = await pw.hash('correct horse battery');
    expect(hash).toMatch(/^\$2b\$04\$/);
    await expect(pw.verify('correct horse battery', hash)).resolves.toBe(true);
    await expect(pw.verify('correct horse batterz', hash)).resolves.toBe(false);
  });

  it('says when a hash needs rehashing after the cost was raised', async () => {
    const hash = await pw.hash('correct horse battery');
    expect(pw.needsRehash(hash)).toBe(false);
    const stronger = passwords({ cost: 5, poolSize: 1 });
    try {
      expect(stronger.needsRehash(hash)).toBe(true);
      expect(stronger.needsRehash('not a hash')).toBe(true);
    } finally {
      await stronger.close();
    }
  });

  it('refuses passwords over 72 bytes instead of truncating them', async () => {
    const long = 'é'.repeat(36) + 'x'; // 73 bytes in UTF-8, 37 characters
    await expect(pw.hash(long)).rejects.toMatchObject({ status: 400, code: 'password_too_long' });
    await expect(pw.hash('a'.repeat(73))).rejects.toMatchObject({ code: 'password_too_long' });
    // exactly 72 bytes is fine
    const hash = await pw.hash('a'.repeat(72));
    await expect(pw.verify('a'.repeat(72), hash)).resolves.toBe(true);
    // bcrypt would accept the 73-byte form against the 72-byte hash; verify refuses it
    await expect(pw.verify('a'.repeat(73), hash)).resolves.toBe(false);
  });

  it('refuses short passwords and runs pluggable checks', async () => {
    await expect(pw.hash('short')).rejects.toMatchObject({ status: 400, code: 'password_too_short' });
    const strict = passwords({
      cost: 4,
      poolSize: 1,
      minLength: 8,
      checks: [(p) => (p.includes('password') ? 'This password is too common.' : undefined)],
    });
    try {
      await expect(strict.hash('mypassword1')).rejects.toMatchObject({
        status: 400,
        code: 'password_rejected',
        message: 'This password is too common.',
      });
      await expect(strict.hash('s3cret-enough')).resolves.toMatch(/^\$2b\$04\$/);
    } finally {
      await strict.close();
    }
  });

  it('still spends a verification on an unknown account and answers false', async () => {
    // One worker runs jobs in order, so a verify that answers after a hash queued before it went through the
    // pool; one that skipped the dummy compare would answer at once. Order, not time, so it holds on a busy host.
    const one = passwords({ cost: 4, poolSize: 1 });
    try {
      const hash = await one.hash('a real password here');
      const order: string[] = [];
      const queued = (name: string, work: Promise<unknown>) =>
        work.then((value) => void order.push(`${name}:${String(value)}`));
      const cases: [string, string, string | undefined][] = [
        ['unknown', 'whatever-password', undefined],
        ['garbage', 'whatever-password', 'garbage'],
        ['too-long', 'a'.repeat(73), hash],
      ];
      for (const [name, password, stored] of cases) {
        order.length = 0;
        await Promise.all([
          queued('before', one.hash('queued first, long enough')),
          queued(name, one.verify(password, stored)),
        ]);
        expect(order).toEqual([expect.stringMatching(/^before:\$2b\$04\$/), `${name}:false`]);
      }
    } finally {
      await one.close();
    }
  });

  it('validates options at start-up', () => {
    expect(() => passwords({ cost: 3 })).toThrow(ShieldwallConfigError);
    expect(() => passwords({ cost: 32 })).toThrow(/cost/);
    expect(() => passwords({ minLength: 0 })).toThrow(/minLength/);
    expect(() => passwords({ minLength: 80 })).toThrow(/minLength/);
    expect(() => passwords({ poolSize: 0 })).toThrow(/poolSize/);
  });

  it('checks each option at its edge, and says what to pass', async () => {
    expect(() => passwords({ cost: '12' as never })).toThrow(/cost/);
    expect(() => passwords({ cost: 12.5 })).toThrow(/pass a whole number from 4 to 31 \(12 is the default\)/);
    // 31 is the highest cost bcrypt takes: accepted (closed at once, before its start-up dummy hash ends).
    const slowest = passwords({ cost: 31, poolSize: 1 });
    expect(slowest.cost).toBe(31);
    await slowest.close();
    expect(() => passwords({ minLength: 73 })).toThrow(/pass at most 72/);
    const longest = passwords({ cost: 4, poolSize: 1, minLength: 72 });
    try {
      expect(longest.policy.minLength).toBe(72);
    } finally {
      await longest.close();
    }
    expect(() => passwords({ checks: ['no' as never] })).toThrow(
      /checks.*pass functions \(password\) => message \| undefined/s,
    );
  });

  it('takes minLength as given: exactly minLength characters pass, one fewer is refused with the minimum', async () => {
    const eight = passwords({ cost: 4, poolSize: 1, minLength: 8 });
    try {
      await expect(eight.hash('ééééééé8')).resolves.toMatch(/^\$2b\$04\$/); // 8 characters, 15 bytes
      await expect(eight.hash('seven77')).rejects.toMatchObject({
        status: 400,
        code: 'password_too_short',
        message: 'Passwords must have at least 8 characters.',
        details: { minLength: 8 },
      });
    } finally {
      await eight.close();
    }
  });

  it('says the byte limit in a too-long refusal, and refuses a password that is not a string', async () => {
    await expect(pw.hash('a'.repeat(73))).rejects.toMatchObject({
      message: 'Passwords may be at most 72 bytes in UTF-8; choose a shorter one.',
      details: { maxBytes: 72 },
    });
    await expect(pw.hash(12345678901234 as never)).rejects.toMatchObject({
      status: 400,
      code: 'invalid_request',
      message: 'The password must be a string.',
    });
    // verify answers false for one (after the dummy compare), never throws
    const hash = await pw.hash('a real password here');
    await expect(pw.verify(12345678901234 as never, hash)).resolves.toBe(false);
    await expect(pw.verify({ length: 3 } as never, hash)).resolves.toBe(false);
  });

  it('rejects work after close', async () => {
    const closing = passwords({ cost: 4, poolSize: 1 });
    await closing.close();
    await expect(closing.hash('long enough password')).rejects.toThrow(/closed/);
  });

  it('keeps the event loop free while many hashes run', async () => {
    // Cost 12 takes about 330 ms per hash on a fast idle core, so on the main thread every hash would blow the bound;
    // the bound leaves room for a loaded 2-core machine, where worker threads compete with the main thread.
    const busy = passwords({ cost: 12, poolSize: 2 });
    const histogram = monitorEventLoopDelay({ resolution: 10 });
    try {
      await busy.verify('warm up the workers', undefined);
      histogram.enable();
      await Promise.all(Array.from({ length: 6 }, (_, i) => busy.hash(`password number ${i}!`)));
      histogram.disable();
      expect(histogram.count).toBeGreaterThan(0);
      expect(histogram.max / 1e6).toBeLessThan(200);
    } finally {
      histogram.disable();
      await busy.close();
    }
  });
});
