import request from 'supertest';
import { fakeProvider } from '../../../../packages/oauth-providers/test/fake-providers.js';
import type { FakeOidcProvider } from '../../../../packages/oauth-providers/test/oidc-provider.js';
import { startTestApp, type TestApp } from '../helpers/reference-app.js';
import { fastHashing, signUp } from './auth-helpers.js';
import { freshPostgresDatabase, reachablePostgres, type FreshDatabase } from '../helpers/database.js';

// Issue 13, "Races and faults": OAuth sign-ins of one provider identity that reach the callback together. The
// identity's primary key decides; whoever loses the insert reads the winner's account back and is signed in to it,
// so the race ends with one account and one identity row (409 oauth_account_conflict is left for a loser that finds
// neither the identity nor the address afterwards).
//
// On PostgreSQL: there the lookups of the racers are in flight together on the pool's connections. PGlite runs each
// query synchronously in WebAssembly, so one callback's lookup and insert finish before the next callback resumes,
// and nothing would race.

const racers = 4;

/**
 * The network, with the provider's token answers held back, once armed, until every racer has one: the callbacks
 * then go on from the same point, so their account lookups all run before any account is written (without it, each
 * callback tends to finish before the next one reaches the database, and nothing races).
 */
function tokenBarrier(): { fetch: typeof fetch; arm(parties: number): void } {
  let parties = 0;
  let waiting: Array<() => void> = [];
  return {
    arm(count) {
      parties = count;
    },
    async fetch(input, init) {
      const res = await fetch(input, init);
      const url = input instanceof Request ? input.url : String(input);
      if (parties > 0 && new URL(url).pathname === '/token') {
        await new Promise<void>((resolve) => {
          waiting.push(resolve);
          if (waiting.length === parties) {
            for (const release of waiting) release();
            waiting = [];
          }
        });
      }
      return res;
    },
  };
}

const local = (url: string): string => new URL(url).pathname + new URL(url).search;

let serverUrl: string | undefined;
beforeAll(async () => {
  serverUrl = await reachablePostgres();
  if (!serverUrl)
    console.warn(
      'SKIPPED: concurrent OAuth sign-ins need PostgreSQL (set DATABASE_URL to a reachable server)',
    );
});

describe('reference app: concurrent OAuth sign-ins of one identity (PostgreSQL)', () => {
  let t: TestApp;
  let google: FakeOidcProvider;
  let barrier: ReturnType<typeof tokenBarrier>;
  let database: FreshDatabase | undefined;

  beforeEach(async () => {
    if (!serverUrl) return;
    database = await freshPostgresDatabase(serverUrl);
    google = (await fakeProvider('google', {
      clientId: 'google-id',
      clientSecret: 'google-secret',
    })) as FakeOidcProvider;
    barrier = tokenBarrier();
    t = await startTestApp(
      {
        ...fastHashing,
        OAUTH_GOOGLE_CLIENT_ID: 'google-id',
        OAUTH_GOOGLE_CLIENT_SECRET: 'google-secret',
        OAUTH_GOOGLE_BASE_URL: google.url,
      },
      {
        fetch: barrier.fetch,
        databaseTarget: { kind: 'postgres', url: database.url, poolMax: 8, timeoutMs: 5000 },
      },
    );
  });
  afterEach(async () => {
    if (!database) return;
    await t.close();
    await google.close();
    await database.drop();
    database = undefined;
  });

  /** Browsers that each went through the provider, then call back at the same time; their /me user ids. */
  async function raceCallbacks(): Promise<string[]> {
    // Another Google user signs in first, so the provider's keys are fetched and cached before the race.
    google.claims = { sub: '2024', email: 'warm-up@example.com' };
    const warmUp = request.agent(t.app);
    const first = await warmUp.get('/api/auth/oauth/google').expect(302);
    await warmUp.get(local(await google.approve(first.headers.location as string))).expect(302);
    google.claims = {};
    barrier.arm(racers);
    const browsers = Array.from({ length: racers }, () => request.agent(t.app));
    const callbacks: string[] = [];
    for (const browser of browsers) {
      const start = await browser.get('/api/auth/oauth/google').expect(302);
      callbacks.push(local(await google.approve(start.headers.location as string)));
    }
    const answers = await Promise.all(browsers.map((browser, i) => browser.get(callbacks[i]!)));
    expect(answers.map((res) => [res.status, res.headers.location])).toEqual(
      Array.from({ length: racers }, () => [302, '/account']),
    );
    return Promise.all(
      browsers.map(async (browser) => (await browser.get('/api/auth/me').expect(200)).body.user.id as string),
    );
  }

  const identityRows = async (subject: string) =>
    t.services.database.db
      .selectFrom('user_identities')
      .select(['provider', 'subject', 'user_id'])
      .where('subject', '=', subject)
      .execute();

  it('a first sign-in from several browsers at once creates one account, and signs each in to it', async () => {
    if (!database) return;
    const ids = await raceCallbacks();
    expect(new Set(ids).size).toBe(1);
    expect(await t.services.users.count()).toBe(2);
    expect(await identityRows('1080')).toEqual([{ provider: 'google', subject: '1080', user_id: ids[0] }]);
  });

  it('linking to an existing account by its verified e-mail from several browsers at once links once', async () => {
    if (!database) return;
    await signUp(t, 'ada@example.com');
    const owner = (await t.services.users.findByEmail('ada@example.com'))!;
    const ids = await raceCallbacks();
    expect(ids).toEqual(Array.from({ length: racers }, () => owner.id));
    expect(await t.services.users.count()).toBe(2);
    expect(await identityRows('1080')).toEqual([{ provider: 'google', subject: '1080', user_id: owner.id }]);
    expect((await t.services.users.findById(owner.id))!.passwordHash).toBe(owner.passwordHash);
  });
});
