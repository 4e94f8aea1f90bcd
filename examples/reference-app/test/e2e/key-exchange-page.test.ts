import { startTestApp, type TestApp } from '../helpers/reference-app.js';
import { fastHashing, recordingStore } from './auth-helpers.js';
import { openWebChannel } from './key-exchange-helpers.js';

// GET / renders a CSRF token without storing anything (the session becomes state only with its first channel), and
// is rate-limited per client IP: a flood of anonymous loads can neither grow the store nor evict live sessions.

describe('reference app: anonymous page loads', () => {
  let t: TestApp;
  let store: ReturnType<typeof recordingStore>;
  beforeAll(async () => {
    store = recordingStore();
    t = await startTestApp(fastHashing, { store });
  });
  afterAll(() => t.close());

  it('store no key-exchange state, and the page limit answers 429 past 60 a minute', async () => {
    const channel = await openWebChannel(t);
    try {
      const before = store.changedKeys(/^kx:/).length;
      const tokens = new Set<string>();
      for (let i = 0; i < 59; i++) {
        const page = await t.request.get('/').expect(200);
        expect(page.headers['set-cookie']).toBeDefined();
        tokens.add(/<meta name="csrf-token" content="([^"]+)">/.exec(page.text)![1]!);
      }
      expect(tokens.size).toBe(59);
      const refused = await t.request.get('/').expect(429);
      expect(refused.body.error.code).toBe('rate_limited');
      expect(refused.headers['set-cookie']).toBeUndefined();
      expect(store.changedKeys(/^kx:/)).toHaveLength(before);
      // The session opened before the flood still works.
      const echo = await channel.client.fetch('/api/security/echo', {
        method: 'POST',
        body: { after: 'flood' },
      });
      expect(echo.status).toBe(200);
      expect(await echo.json()).toEqual({ echo: { after: 'flood' }, method: 'POST' });
    } finally {
      await channel.close();
    }
  });
});
