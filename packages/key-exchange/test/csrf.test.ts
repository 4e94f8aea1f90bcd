import { createCipheriv, randomBytes } from 'node:crypto';
import { ShieldwallConfigError, manualClock, memoryStore, type ManualClock } from '@shieldwall/core';
import { keyExchange } from '../src/index.js';
import {
  countingStore,
  loadPage,
  manualWebHandshake,
  startHarness,
  testSealer,
  type Harness,
  expectRefusal,
} from './helpers.js';

// The CSRF check's own edges: session ids, the token format and its freshness, ended sessions, the secrets option.
// refusals.test.ts has the everyday refusals (no token, another session's, tampered, expired, cross-site).

const day = 24 * 60 * 60 * 1000;
const secret = { id: 'k1', key: new Uint8Array(32).fill(7) };
const newer = { id: 'k2', key: new Uint8Array(32).fill(9) };
/**
 * A session id the released derivation makes from `secret` for a random part of eighteen 0x01 bytes: HMAC-SHA-256
 * under HKDF-SHA-256(secret, salt "", info "key-exchange sid") of "key-exchange session id v1" and the random part,
 * cut to 6 bytes. Fixed here so a change to the derivation shows: every instance of a rolling deploy, old and new,
 * must recognise the ids the others set.
 */
const knownId = 'AQEBAQEBAQEBAQEBAQEBAQEBaAi1Yzph';
const sessionCookie = (id: string) => `sw-session=${id}`;

let clock: ManualClock;
let store: ReturnType<typeof countingStore>;
let h: Harness;
beforeEach(async () => {
  clock = manualClock(Date.UTC(2026, 5, 1));
  store = countingStore(memoryStore({ clock }));
  h = await startHarness({ clock, store, sealer: testSealer(), csrfSecrets: [secret] });
});
afterEach(() => h.close());

const publicKey = (headers: Record<string, string>) => fetch(`${h.url}/api/security/public-key`, { headers });

/** A 403 `csrf_invalid` that set no cookie and wrote nothing. */
const expectRefused = (response: Response, writesBefore: number) =>
  expectRefusal(store, response, 403, 'csrf_invalid', writesBefore);

/**
 * A token sealed by hand with the harness's secret, in the documented layout: `<version>.<kid>.<base64url of IV,
 * ciphertext, tag>`, AES-256-GCM with `<version>.<kid>` as the AAD. Only the holder of the secret can make one; the
 * refusals below are about what such a token says, not about who made it.
 */
function sealToken(body: unknown, version = 'c2', kid = secret.id): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', secret.key, iv);
  cipher.setAAD(Buffer.from(`${version}.${kid}`));
  const plaintext = typeof body === 'string' ? body : JSON.stringify(body);
  const sealed = Buffer.concat([iv, cipher.update(plaintext, 'utf8'), cipher.final(), cipher.getAuthTag()]);
  return `${version}.${kid}.${sealed.toString('base64url')}`;
}

const idOf = (cookie: string) => cookie.slice(cookie.indexOf('=') + 1);

describe('key-exchange CSRF: session ids', () => {
  it('recognises an id made from its secret by an earlier release, and still after the secret is rotated', async () => {
    const page = await loadPage(h.url, sessionCookie(knownId));
    expect(page.cookie).toBe(sessionCookie(knownId));
    expect((await publicKey({ 'x-csrf-token': page.token, cookie: page.cookie })).status).toBe(200);
    await h.close();

    // The new secret first (it makes new ids), the old one after it (its ids are still recognised).
    h = await startHarness({ clock, store, sealer: testSealer(), csrfSecrets: [newer, secret] });
    expect((await loadPage(h.url, sessionCookie(knownId))).cookie).toBe(sessionCookie(knownId));
    const fresh = await loadPage(h.url);
    expect(idOf(fresh.cookie)).toMatch(/^[A-Za-z0-9_-]{32}$/);
    await h.close();

    // Once the old secret is dropped, its ids are strangers.
    h = await startHarness({ clock, store, sealer: testSealer(), csrfSecrets: [newer] });
    expect((await loadPage(h.url, sessionCookie(knownId))).cookie).not.toBe(sessionCookie(knownId));
  });

  it('replaces an id of the wrong length, even one whose first 32 characters are a real id', async () => {
    for (const id of ['abc', knownId.slice(0, 31), `${knownId}A`, `${knownId}${knownId}`]) {
      const page = await loadPage(h.url, sessionCookie(id));
      expect(idOf(page.cookie)).toMatch(/^[A-Za-z0-9_-]{32}$/);
      expect(page.cookie).not.toBe(sessionCookie(knownId));
    }
  });
});

describe('key-exchange CSRF: the token', () => {
  it('accepts a token sealed by hand in the documented layout (so the refusals below are about the content)', async () => {
    const token = sealToken({ s: knownId, t: clock.now() });
    expect((await publicKey({ 'x-csrf-token': token, cookie: sessionCookie(knownId) })).status).toBe(200);
  });

  it('refuses a body without a string session id and a numeric issue time, and one that is not an object', async () => {
    const cookie = sessionCookie(knownId);
    const before = store.writes();
    const now = clock.now();
    for (const body of [
      { s: knownId, t: String(now) },
      { s: knownId },
      { s: [knownId], t: now },
      { t: now },
      'null',
      'not json',
    ]) {
      await expectRefused(await publicKey({ 'x-csrf-token': sealToken(body), cookie }), before);
    }
  });

  it('refuses another version, an extra segment, and more than 512 characters, even when authentic', async () => {
    const cookie = sessionCookie(knownId);
    const before = store.writes();
    const body = { s: knownId, t: clock.now() };
    await expectRefused(await publicKey({ 'x-csrf-token': sealToken(body, 'c1'), cookie }), before);
    await expectRefused(await publicKey({ 'x-csrf-token': `${sealToken(body)}.x`, cookie }), before);

    // Extra fields pad an authentic token to an exact length: 506 base64url characters after "c2.k1." hold 379 bytes.
    const padded = (length: number) => {
      const bytes = Math.floor((length - 'c2.k1.'.length) * 0.75);
      const base = JSON.stringify({ ...body, pad: '' });
      return sealToken({ ...body, pad: 'x'.repeat(bytes - 12 - 16 - base.length) });
    };
    expect(padded(512)).toHaveLength(512);
    expect((await publicKey({ 'x-csrf-token': padded(512), cookie })).status).toBe(200);
    // The first answered public-key request made the web key; from here nothing more may be written.
    const afterKey = store.writes();
    expect(padded(516)).toHaveLength(516);
    await expectRefused(await publicKey({ 'x-csrf-token': padded(516), cookie }), afterKey);
  });

  it('accepts a token issued up to a minute ahead of its clock (another instance), and refuses one further ahead', async () => {
    const page = await loadPage(h.url);
    const start = clock.now();
    const ahead = (ms: number) => sealToken({ s: idOf(page.cookie), t: start + ms });
    expect((await publicKey({ 'x-csrf-token': ahead(60_000), cookie: page.cookie })).status).toBe(200);
    const before = store.writes();
    await expectRefused(await publicKey({ 'x-csrf-token': ahead(60_001), cookie: page.cookie }), before);
  });
});

describe("key-exchange CSRF: the token's age", () => {
  it('accepts a token exactly 14 days old (csrfMaxAgeMs) and refuses it a millisecond later', async () => {
    const page = await loadPage(h.url);
    clock.advance(14 * day);
    expect((await publicKey({ 'x-csrf-token': page.token, cookie: page.cookie })).status).toBe(200);
    clock.advance(1);
    const before = store.writes();
    await expectRefused(await publicKey({ 'x-csrf-token': page.token, cookie: page.cookie }), before);
  });
});

describe('key-exchange CSRF: ended sessions', () => {
  it("refuses an ended session's tokens for as long as they would otherwise live", async () => {
    const page = await loadPage(h.url);
    await manualWebHandshake(h.url, page, clock);
    await h.kx.endSession({ headers: { cookie: page.cookie } } as never);
    // The token was issued a moment before the end; it would be valid for 14 days (csrfMaxAgeMs) but for the end.
    clock.advance(14 * day - 1_000);
    const before = store.writes();
    await expectRefused(await publicKey({ 'x-csrf-token': page.token, cookie: page.cookie }), before);
  });
});

describe('key-exchange CSRF: csrfSecrets', () => {
  const key = new Uint8Array(32);
  it.each([
    ['not an array', 'k1'],
    ['an empty array', []],
    ['null in the array', [null]],
    ['undefined in the array', [undefined]],
    ['a function carrying an id and a key', [Object.assign(() => undefined, { id: 'k1', key })]],
    ['a string in the array', ['k1']],
    ['a numeric id', [{ id: 1, key }]],
    ['an id with a space', [{ id: 'a b', key }]],
    ['an id with a leading space', [{ id: ' a', key }]],
    ['an id with a trailing space', [{ id: 'a ', key }]],
    ['an empty id', [{ id: '', key }]],
    ['an id of 33 characters', [{ id: 'a'.repeat(33), key }]],
    ['no key', [{ id: 'k1' }]],
    ['a key of 31 bytes', [{ id: 'k1', key: new Uint8Array(31) }]],
    ['a key as a plain array', [{ id: 'k1', key: Array.from(key) }]],
    [
      'a bad second secret',
      [
        { id: 'k1', key },
        { id: 'k2', key: new Uint8Array(16) },
      ],
    ],
  ])('refuses %s at start-up, naming the option and the fix', (_name, csrfSecrets) => {
    let thrown: unknown;
    try {
      keyExchange({ csrfSecrets: csrfSecrets as never });
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(ShieldwallConfigError);
    expect((thrown as Error).message).toContain('`csrfSecrets`');
    expect((thrown as Error).message).toContain('non-empty array of { id:');
  });

  it('accepts ids of 1 and 32 characters and a Buffer key, the first secret encrypting', async () => {
    for (const id of ['a', 'ab', 'A'.repeat(32), 'k_-9']) {
      expect(() => keyExchange({ csrfSecrets: [{ id, key: Buffer.alloc(32, 1) }] })).not.toThrow();
    }
    const token = (await loadPage(h.url)).token;
    expect(token.startsWith(`c2.${secret.id}.`)).toBe(true);
  });
});
