import {
  constants,
  createCipheriv,
  generateKeyPairSync,
  publicEncrypt,
  randomBytes,
  type KeyObject,
} from 'node:crypto';
import { CompactEncrypt, base64url, compactDecrypt, decodeProtectedHeader } from 'jose';
import { manualClock, memoryStore } from '@shieldwall/core';
import { openEnvelope, sealResponse, type OpenExpectation } from '../src/envelope.js';
import { countingStore } from './helpers.js';

// openEnvelope and sealResponse on their own: every header rule and every part of a `dir` envelope, each broken
// alone on an envelope that is otherwise sealed correctly (the tag covers the header), so that only the rule under
// test can refuse it, and nothing is claimed when it does.

const windowMs = 60_000;
const key = new Uint8Array(randomBytes(32));
const clock = manualClock(Date.UTC(2026, 5, 1, 12));
const expectation: OpenExpectation = { alg: 'dir', typ: 'sw-req', method: 'POST', path: '/api/echo' };

function fresh() {
  const store = countingStore(memoryStore({ clock }));
  return { store, settings: { clock, store, windowMs } };
}

const goodHeader = () => ({
  alg: 'dir',
  enc: 'A256GCM',
  kid: 'c1',
  typ: 'sw-req',
  htm: 'POST',
  htu: '/api/echo',
  iat: Math.floor(clock.now() / 1000),
  jti: base64url.encode(randomBytes(18)),
});

interface Parts {
  header?: Record<string, unknown>;
  ek?: Uint8Array;
  iv?: Buffer;
  /** The tag's length on the wire (the full tag is computed, then cut). */
  tagBytes?: number;
  plaintext?: Uint8Array;
}

/** A compact JWE sealed with AES-256-GCM by hand, whatever the header says. */
function seal({
  header = goodHeader(),
  ek = new Uint8Array(0),
  iv = randomBytes(12),
  tagBytes = 16,
  plaintext = Buffer.from('{"a":1}'),
}: Parts = {}): string {
  const h = base64url.encode(JSON.stringify(header));
  const cipher = createCipheriv('aes-256-gcm', key, iv).setAAD(Buffer.from(h, 'ascii'));
  const ct = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  const tag = cipher.getAuthTag().subarray(0, tagBytes);
  return [h, base64url.encode(ek), base64url.encode(iv), base64url.encode(ct), base64url.encode(tag)].join(
    '.',
  );
}

const keyFor = (kid: string) => Promise.resolve(kid === 'c1' ? key : undefined);

async function refused(jwe: string, expect_: OpenExpectation = expectation): Promise<void> {
  const { store, settings } = fresh();
  await expect(openEnvelope(settings, jwe, expect_, keyFor)).rejects.toMatchObject({
    status: 400,
    code: 'invalid_envelope',
  });
  expect(store.writes()).toBe(0);
}

describe('openEnvelope', () => {
  it('opens a good envelope and claims its id for twice the window plus a second', async () => {
    const { store, settings } = fresh();
    const header = goodHeader();
    const opened = await openEnvelope(settings, seal({ header }), expectation, keyFor);
    expect(Buffer.from(opened.plaintext).toString()).toBe('{"a":1}');
    expect(opened.header).toEqual(header);
    const record = `jti:c1:${header.jti}`;
    expect(await store.get(record)).toBe('1');
    clock.advance(windowMs * 2 + 999);
    expect(await store.get(record)).toBe('1');
    clock.advance(1);
    expect(await store.get(record)).toBeUndefined();
  });

  it.each([
    ['another alg', { alg: 'A256KW' }],
    ['another enc', { enc: 'A128GCM' }],
    ['zip', { zip: 'DEF' }],
    ['another typ', { typ: 'sw-res' }],
    ['another method', { htm: 'PUT' }],
    ['another target', { htu: '/api/echo?x=1' }],
    ['a kid that is not a string', { kid: 1 }],
    ['an iat that is not a number', { iat: String(Math.floor(clock.now() / 1000)) }],
    ['a jti of 15 characters', { jti: 'a'.repeat(15) }],
    ['a jti of 65 characters', { jti: 'a'.repeat(65) }],
    ['a jti outside base64url', { jti: `${'a'.repeat(20)}+` }],
  ])('refuses %s, sealed correctly around it', async (_name, change) => {
    await refused(seal({ header: { ...goodHeader(), ...change } }));
  });

  it('accepts an iat exactly the window away on either side, and refuses a second more', async () => {
    const iat = Math.floor(clock.now() / 1000);
    for (const offset of [-windowMs, windowMs]) {
      const { settings } = fresh();
      const at = manualClock(iat * 1000 + offset);
      const header = { ...goodHeader(), iat };
      await expect(
        openEnvelope({ ...settings, clock: at }, seal({ header }), expectation, keyFor),
      ).resolves.toMatchObject({ header });
      at.advance(Math.sign(offset) * 1000);
      const { store } = fresh();
      await expect(
        openEnvelope(
          { clock: at, store, windowMs },
          seal({ header: { ...header, jti: base64url.encode(randomBytes(18)) } }),
          expectation,
          keyFor,
        ),
      ).rejects.toMatchObject({ code: 'invalid_envelope' });
      expect(store.writes()).toBe(0);
    }
  });

  it('refuses an encrypted key in a dir envelope (RFC 7516: dir has none)', async () => {
    await refused(seal({ ek: randomBytes(32) }));
  });

  it('refuses an IV of any length but 96 bits, which GCM itself would take', async () => {
    await refused(seal({ iv: randomBytes(16) }));
    await refused(seal({ iv: randomBytes(8) }));
  });

  it('refuses a truncated tag, which GCM would check as a shorter tag', async () => {
    for (const length of [12, 15]) await refused(seal({ tagBytes: length }));
  });

  it('refuses an unknown kid, a wrong key and a non-empty plaintext where none is expected', async () => {
    await refused(seal({ header: { ...goodHeader(), kid: 'c2' } }));
    const { store, settings } = fresh();
    await expect(
      openEnvelope(settings, seal(), expectation, () => Promise.resolve(new Uint8Array(32))),
    ).rejects.toMatchObject({ code: 'invalid_envelope' });
    expect(store.writes()).toBe(0);
    await refused(seal(), { ...expectation, empty: true });
  });

  it('claims nothing when the check refuses the plaintext', async () => {
    const { store, settings } = fresh();
    const check = () => {
      throw new Error('no');
    };
    await expect(openEnvelope(settings, seal(), { ...expectation, check }, keyFor)).rejects.toThrow('no');
    expect(store.writes()).toBe(0);
  });
});

describe('openEnvelope: RSA-OAEP-256, the handshake', () => {
  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const rsaExpectation: OpenExpectation = { ...expectation, alg: 'RSA-OAEP-256', typ: 'sw-key' };
  const rsaHeader = () => ({ ...goodHeader(), alg: 'RSA-OAEP-256', typ: 'sw-key', kid: 'w1' });
  const rsaKeyFor = (kid: string) => Promise.resolve(kid === 'w1' ? rsa.privateKey : undefined);

  /** By hand: `cek` wrapped with OAEP over `oaepHash`, the plaintext sealed under it with AES-GCM. */
  function sealRsa(cek: Buffer, oaepHash = 'sha256', ek?: Buffer): string {
    const h = base64url.encode(JSON.stringify(rsaHeader()));
    const wrapped =
      ek ?? publicEncrypt({ key: rsa.publicKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash }, cek);
    const iv = randomBytes(12);
    const cipher = createCipheriv(cek.length === 16 ? 'aes-128-gcm' : 'aes-256-gcm', cek.subarray(0, 32), iv);
    cipher.setAAD(Buffer.from(h, 'ascii'));
    const ct = Buffer.concat([cipher.update('{"k":1}'), cipher.final()]);
    return [h, wrapped, iv, ct, cipher.getAuthTag()]
      .map((p) => (typeof p === 'string' ? p : base64url.encode(p)))
      .join('.');
  }

  async function rsaRefused(
    jwe: string,
    keyFor_: (kid: string) => Promise<KeyObject | Uint8Array | undefined> = rsaKeyFor,
  ): Promise<void> {
    const { store, settings } = fresh();
    await expect(openEnvelope(settings, jwe, rsaExpectation, keyFor_)).rejects.toMatchObject({
      status: 400,
      code: 'invalid_envelope',
    });
    expect(store.writes()).toBe(0);
  }

  it('opens what jose seals, and what the protocol document describes, and claims its id', async () => {
    const fromJose = await new CompactEncrypt(Buffer.from('{"k":2}'))
      .setProtectedHeader(rsaHeader())
      .encrypt(rsa.publicKey);
    for (const [jwe, text] of [
      [fromJose, '{"k":2}'],
      [sealRsa(randomBytes(32)), '{"k":1}'],
    ] as const) {
      const { store, settings } = fresh();
      const { plaintext } = await openEnvelope(settings, jwe, rsaExpectation, rsaKeyFor);
      expect(Buffer.from(plaintext).toString()).toBe(text);
      expect(store.writes()).toBe(1);
    }
  });

  it('refuses a key wrapped with OAEP over SHA-1, a key of 16 or 64 bytes, and a missing or random wrapped key', async () => {
    await rsaRefused(sealRsa(randomBytes(32), 'sha1'));
    await rsaRefused(sealRsa(randomBytes(16)));
    await rsaRefused(sealRsa(randomBytes(64)));
    await rsaRefused(sealRsa(randomBytes(32), 'sha256', Buffer.alloc(0)));
    await rsaRefused(sealRsa(randomBytes(32), 'sha256', randomBytes(256)));
  });

  it('refuses when the key found is not an RSA private key', async () => {
    const jwe = sealRsa(randomBytes(32));
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    for (const wrong of [rsa.publicKey, ec.privateKey, new Uint8Array(32)]) {
      await rsaRefused(jwe, () => Promise.resolve(wrong));
    }
  });
});

describe('sealResponse', () => {
  it('seals a header of exactly its fields, iat in seconds, that jose opens', async () => {
    const now = manualClock(Date.UTC(2026, 5, 1, 12, 0, 0, 999));
    const jwe = sealResponse(
      now,
      key,
      'c1',
      { htm: 'GET', htu: '/x?y=1', jti: 'j'.repeat(16) },
      404,
      Buffer.from('{}'),
    );
    expect(decodeProtectedHeader(jwe)).toEqual({
      alg: 'dir',
      enc: 'A256GCM',
      kid: 'c1',
      typ: 'sw-res',
      htm: 'GET',
      htu: '/x?y=1',
      rid: 'j'.repeat(16),
      sts: 404,
      iat: Date.UTC(2026, 5, 1, 12) / 1000,
    });
    const { plaintext } = await compactDecrypt(jwe, key);
    expect(Buffer.from(plaintext).toString()).toBe('{}');
    expect(Buffer.from(jwe.split('.')[4]!, 'base64url')).toHaveLength(16);
  });
});
