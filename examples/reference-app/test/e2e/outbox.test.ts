import { manualClock, memoryStore, type ManualClock, type Store } from '@shieldwall/core';
import type { DatabaseTarget } from '../../src/db/open.js';
import { freshPostgresDatabase, pgliteTarget, reachablePostgres } from '../helpers/database.js';
import { startTestApp, type TestApp } from '../helpers/reference-app.js';
import { fastHashing, goodPassword } from './auth-helpers.js';
import { startSmtp, startTwilio, type LoopbackSmtp, type LoopbackTwilio } from './messages-helpers.js';

const hour = 3_600_000;

interface Cluster {
  apps: TestApp[];
  smtp: LoopbackSmtp;
  twilio: LoopbackTwilio;
  clock: ManualClock;
  close(): Promise<void>;
}

/**
 * Two app instances sharing one database (so one outbox table) and one store, SMTP and Twilio on loopback,
 * delivery rounds run by hand.
 */
async function startCluster(
  store: Store,
  clock: ManualClock,
  databaseTarget: DatabaseTarget,
): Promise<Cluster> {
  const smtp = await startSmtp();
  const twilio = await startTwilio();
  const env = {
    ...fastHashing,
    SMTP_URL: smtp.url,
    MAIL_FROM: 'Shieldwall <no-reply@example.test>',
    SMS_PROVIDER: 'twilio',
    TWILIO_ACCOUNT_SID: 'AC00000000000000000000000000000001',
    TWILIO_AUTH_TOKEN: 'token',
    TWILIO_FROM: '+15005550006',
    TWILIO_BASE_URL: twilio.url,
    OUTBOX_POLL_MS: '0',
  };
  const apps = [
    await startTestApp(env, { store, clock, databaseTarget }),
    await startTestApp(env, { store, clock, databaseTarget }),
  ];
  return {
    apps,
    smtp,
    twilio,
    clock,
    async close() {
      for (const app of apps) await app.close();
      await smtp.close();
      await twilio.close();
    },
  };
}

/** Both instances deliver at once, round after round, an hour apart, until nothing is pending. */
async function deliverEverything(cluster: Cluster): Promise<void> {
  for (let round = 0; round < 6; round += 1) {
    await Promise.all(cluster.apps.map((app) => app.services.outbox.deliverDue()));
    cluster.clock.advance(hour);
  }
}

async function writeMessages(
  cluster: Cluster,
  count: number,
): Promise<{ emails: string[]; phones: string[] }> {
  const emails: string[] = [];
  const phones: string[] = [];
  for (let i = 0; i < count; i += 1) {
    const app = cluster.apps[i % 2]!;
    const email = `user${i}@example.com`;
    const phone = `+4477009001${String(i).padStart(2, '0')}`;
    emails.push(email);
    phones.push(phone);
    await app.services.outbox.send({
      channel: 'email',
      to: email,
      subject: `Message ${i}`,
      text: `body ${i}`,
    });
    await app.services.outbox.send({ channel: 'sms', to: phone, text: `sms ${i}` });
  }
  return { emails, phones };
}

function expectExactlyOnce(cluster: Cluster, emails: string[], phones: string[]): void {
  const mailCounts = emails.map((to) => cluster.smtp.received.filter((m) => m.rcptTo.includes(to)).length);
  expect(mailCounts).toEqual(emails.map(() => 1));
  expect(cluster.smtp.received).toHaveLength(emails.length);
  const smsCounts = phones.map((to) => cluster.twilio.delivered().filter((r) => r.form.To === to).length);
  expect(smsCounts).toEqual(phones.map(() => 1));
  expect(cluster.twilio.delivered()).toHaveLength(phones.length);
}

interface SharedDatabase {
  target: DatabaseTarget;
  close(): Promise<void>;
}

function outboxSuite(name: string, makeDatabase: () => Promise<SharedDatabase | undefined>) {
  describe(name, () => {
    let cluster: Cluster | undefined;
    let store: Store;
    let database: SharedDatabase | undefined;
    beforeEach(async () => {
      const clock = manualClock(Date.now());
      store = memoryStore({ clock });
      database = await makeDatabase();
      cluster = database ? await startCluster(store, clock, database.target) : undefined;
    }, 60_000);
    afterEach(async () => {
      await cluster?.close();
      await database?.close();
      await store.close();
    });
    const it = (title: string, test: (cluster: Cluster) => Promise<void>) =>
      global.it(title, async () => {
        if (!cluster) return console.warn(`SKIPPED (${name}): ${title}`);
        await test(cluster);
      });

    it('with both providers down for a while, then back, delivers every message exactly once', async (cluster) => {
      cluster.smtp.down = true;
      cluster.twilio.reply = () => ({ status: 503, json: { code: 20503 } });
      const { emails, phones } = await writeMessages(cluster, 8);
      // Down for three rounds (the first retry waits 30 s, then 60 s, 120 s): nothing gets through, nothing is lost.
      for (let round = 0; round < 3; round += 1) {
        await Promise.all(cluster.apps.map((app) => app.services.outbox.deliverDue()));
        cluster.clock.advance(10 * 60_000);
      }
      expect(cluster.smtp.received).toHaveLength(0);
      expect(cluster.twilio.delivered()).toHaveLength(0);
      expect(cluster.twilio.requests.length).toBeGreaterThanOrEqual(phones.length);

      cluster.smtp.down = false;
      cluster.twilio.reply = (() => {
        let n = 0;
        return () => ({ status: 201, json: { sid: `SM${(n += 1)}` } });
      })();
      await deliverEverything(cluster);
      expectExactlyOnce(cluster, emails, phones);
    });

    it('two instances delivering at once never send one message twice', async (cluster) => {
      const { emails, phones } = await writeMessages(cluster, 10);
      await deliverEverything(cluster);
      expectExactlyOnce(cluster, emails, phones);
      // Both instances took part: the lease splits the work, it does not serialise it on one instance.
      const sentBy = cluster.apps.map(
        (app) => app.logger.lines.filter((line) => line.message === 'outbox message sent').length,
      );
      expect(sentBy.reduce((a, b) => a + b)).toBe(emails.length + phones.length);
    });

    it('answers the request while the provider hangs: the route never waits on delivery', async (cluster) => {
      const [a] = cluster.apps as [TestApp, TestApp];
      cluster.twilio.reply = () => 'hang';
      await a.request.post('/api/otp/sms').send({ phone: '+447700900999' }).expect(202);
      // The worker's request is still open at the provider, and the client has its answer.
      for (let i = 0; i < 400 && cluster.twilio.requests.length === 0; i += 1)
        await new Promise((resolve) => setTimeout(resolve, 5));
      expect(cluster.twilio.requests).toHaveLength(1);
      expect(cluster.twilio.delivered()).toHaveLength(0);
      cluster.twilio.release();
      cluster.twilio.reply = () => ({ status: 201, json: { sid: 'SM1' } });
      await deliverEverything(cluster);
      expect(cluster.twilio.delivered().map((r) => r.form.To)).toEqual(['+447700900999']);
    });

    it('a registration on one instance is delivered once, with the link, whichever instance runs the worker', async (cluster) => {
      const [a, b] = cluster.apps as [TestApp, TestApp];
      await a.request
        .post('/api/auth/register')
        .send({ email: 'new@example.com', password: goodPassword })
        .expect(202);
      await cluster.smtp.waitFor('new@example.com');
      await Promise.all([a.services.outbox.deliverDue(), b.services.outbox.deliverDue()]);
      expect(cluster.smtp.received.filter((m) => m.rcptTo.includes('new@example.com'))).toHaveLength(1);
    });
  });
}

outboxSuite('outbox: two app instances on one PGlite schema', async () => ({
  target: await pgliteTarget(),
  close: async () => {},
}));

let server: string | undefined;
beforeAll(async () => {
  server = await reachablePostgres();
  if (!server)
    console.warn('SKIPPED: outbox on PostgreSQL (set DATABASE_URL to a reachable server to run it)');
}, 60_000);

outboxSuite('outbox: two app instances on one PostgreSQL database', async () => {
  if (!server) return undefined;
  const fresh = await freshPostgresDatabase(server);
  return {
    target: { kind: 'postgres', url: fresh.url, poolMax: 4, timeoutMs: 5000 },
    close: () => fresh.drop(),
  };
});
