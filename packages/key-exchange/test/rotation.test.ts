import { manualClock } from '@shieldwall/core';
import { keyExchange } from '../src/index.js';
import { countingStore, loadPage, manualWebHandshake, startHarness, testSealer } from './helpers.js';

const day = 24 * 60 * 60 * 1000;

describe('web key rotation (injected clock)', () => {
  it('makes a new key every 14 days and accepts each for 30 days, then refuses it', async () => {
    const clock = manualClock(Date.UTC(2026, 0, 1));
    const h = await startHarness({ clock, store: countingStore(), sealer: testSealer() });
    try {
      // Handshakes need a recent iat: the tests' envelopes use the same clock.
      const page = await loadPage(h.url);
      const first = await manualWebHandshake(h.url, page, clock);
      clock.advance(13 * day);
      const stillFirst = await manualWebHandshake(h.url, await loadPage(h.url, page.cookie), clock);
      expect(stillFirst.jwk.kid).toBe(first.jwk.kid);

      clock.advance(1 * day + 1);
      const page2 = await loadPage(h.url, page.cookie);
      const second = await manualWebHandshake(h.url, page2, clock);
      expect(second.jwk.kid).not.toBe(first.jwk.kid);
      expect(await h.kx.keyRing.list()).toHaveLength(2);

      // Day 29: the old key still unwraps.
      clock.advance(15 * day);
      const { sessionKeyEnvelope } = await import('./helpers.js');
      const post = async (jwk: typeof first.jwk) => {
        const fresh = await loadPage(h.url, page.cookie);
        return fetch(`${h.url}/api/security/session-key`, {
          method: 'POST',
          headers: { 'content-type': 'application/jose', 'x-csrf-token': fresh.token, cookie: fresh.cookie },
          body: await sessionKeyEnvelope(jwk, {}, undefined, clock),
        });
      };
      expect((await post(first.jwk)).status).toBe(201);

      // Day 30 + 1 ms: refused, whatever cache the instance holds.
      clock.set(Date.UTC(2026, 0, 1) + 30 * day + 1);
      const refused = await post(first.jwk);
      expect(refused.status).toBe(400);
      expect(((await refused.json()) as { error: { code: string } }).error.code).toBe('invalid_envelope');
      expect((await post(second.jwk)).status).toBe(201);
    } finally {
      await h.close();
    }
  });

  it('refuses bad configuration at start-up', () => {
    expect(() => keyExchange({ rotateEveryMs: 30 * day, keyLifetimeMs: 14 * day })).toThrow(/keyLifetimeMs/);
    expect(() => keyExchange({ modulusLength: 1024 })).toThrow(/modulusLength/);
    expect(() => keyExchange({ store: countingStore() })).toThrow(/sealer/);
    expect(() => keyExchange({ secure: false, cookieName: '__Host-x' })).toThrow(/cookieName/);
    expect(() => keyExchange({ csrfSecrets: [{ id: 'a', key: new Uint8Array(8) }] })).toThrow(/csrfSecrets/);
  });
});
