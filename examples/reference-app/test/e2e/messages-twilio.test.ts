import { manualClock, memoryStore, type ManualClock, type Store } from '@shieldwall/core';
import {
  memoryLogger,
  outboxWorker,
  storeOutboxRepository,
  twilioSms,
  type MailTransport,
  type OutboxRepository,
  type OutboxWorker,
} from '@shieldwall/reference-app';
import { basicAuth, startTwilio, type LoopbackTwilio } from './messages-helpers.js';

const sid = 'AC0123456789abcdef0123456789abcdef';
const token = 'twilio-auth-token';
const noMail: MailTransport = {
  send: () => Promise.reject(new Error('no e-mail in these tests')),
  close: async () => {},
};

describe('SMS through the Twilio Messages API wire format, delivered by the outbox worker', () => {
  let twilio: LoopbackTwilio;
  let clock: ManualClock;
  let store: Store;
  let repository: OutboxRepository;
  let worker: OutboxWorker;
  const logger = memoryLogger();

  // Only the hanging-provider case waits for the timeout; elsewhere it is long enough never to matter on a busy host.
  const setUp = async (
    sender: { from?: string; messagingServiceSid?: string } = { from: '+15005550006' },
    timeoutMs = 10_000,
  ) => {
    twilio = await startTwilio();
    clock = manualClock(Date.now());
    store = memoryStore({ clock });
    repository = storeOutboxRepository(store, { clock });
    const sms = twilioSms({
      accountSid: sid,
      authToken: token,
      baseUrl: twilio.url,
      timeoutMs,
      ...sender,
    });
    worker = outboxWorker({
      repository,
      mail: noMail,
      sms,
      clock,
      logger,
      maxAttempts: 4,
      baseDelayMs: 1000,
    });
  };
  afterEach(async () => {
    await twilio.close();
    await store.close();
  });

  it('posts a form-encoded To, From and Body with basic auth to /2010-04-01/Accounts/{sid}/Messages.json', async () => {
    await setUp();
    const id = await repository.add({ channel: 'sms', to: '+447700900123', text: '123456 is your code' });
    expect(await worker.runOnce()).toEqual({ sent: 1, retried: 0, dead: 0 });
    expect(twilio.requests).toEqual([
      {
        method: 'POST',
        path: `/2010-04-01/Accounts/${sid}/Messages.json`,
        authorization: basicAuth(sid, token),
        contentType: 'application/x-www-form-urlencoded',
        form: { To: '+447700900123', From: '+15005550006', Body: '123456 is your code' },
      },
    ]);
    const record = await repository.find(id);
    expect(record).toMatchObject({ state: 'sent', attempts: 1, providerId: expect.stringMatching(/^SM/) });
    // The body is dropped once sent: the code is not kept.
    expect(record).not.toHaveProperty('content');
    expect(JSON.stringify(logger.lines)).not.toContain('123456');
  });

  it('sends MessagingServiceSid instead of From when a Messaging Service is configured', async () => {
    await setUp({ messagingServiceSid: 'MG0123456789abcdef0123456789abcdef' });
    await repository.add({ channel: 'sms', to: '+447700900123', text: 'hello' });
    await worker.runOnce();
    expect(twilio.requests[0]!.form).toEqual({
      To: '+447700900123',
      MessagingServiceSid: 'MG0123456789abcdef0123456789abcdef',
      Body: 'hello',
    });
  });

  it.each([
    ['a 503', { status: 503, json: { code: 20500, message: 'Internal Server Error' } }],
    ['a 429', { status: 429, json: { code: 20429, message: 'Too Many Requests' } }],
    ['a timeout', 'hang' as const],
  ])('retries after %s with exponential back-off, then delivers once', async (_name, failure) => {
    await setUp(undefined, failure === 'hang' ? 2000 : 10_000);
    const id = await repository.add({ channel: 'sms', to: '+447700900123', text: 'retry me' });
    twilio.reply = () => failure;
    expect(await worker.runOnce()).toEqual({ sent: 0, retried: 1, dead: 0 });
    expect(await repository.find(id)).toMatchObject({
      state: 'pending',
      attempts: 1,
      dueAt: clock.now() + 1000,
    });
    // Not due yet: nothing is sent before the back-off ends.
    clock.advance(999);
    expect(await worker.runOnce()).toEqual({ sent: 0, retried: 0, dead: 0 });
    expect(twilio.requests).toHaveLength(1);
    clock.advance(1);
    expect(await worker.runOnce()).toEqual({ sent: 0, retried: 1, dead: 0 });
    // The second failure doubles the delay.
    expect(await repository.find(id)).toMatchObject({ attempts: 2, dueAt: clock.now() + 2000 });
    twilio.reply = () => ({ status: 201, json: { sid: 'SM1' } });
    clock.advance(2000);
    expect(await worker.runOnce()).toEqual({ sent: 1, retried: 0, dead: 0 });
    expect(await repository.find(id)).toMatchObject({ state: 'sent', attempts: 3, providerId: 'SM1' });
    expect(twilio.delivered()).toHaveLength(1);
    clock.advance(3_600_000);
    expect(await worker.runOnce()).toEqual({ sent: 0, retried: 0, dead: 0 });
    expect(twilio.requests).toHaveLength(3);
  });

  it('dead-letters a 4xx at once (an invalid number), keeping the reason and dropping the body', async () => {
    await setUp();
    twilio.reply = () => ({
      status: 400,
      json: { code: 21211, message: "The 'To' number +447700900123 is not a valid phone number." },
    });
    const id = await repository.add({ channel: 'sms', to: '+447700900123', text: '654321 is your code' });
    expect(await worker.runOnce()).toEqual({ sent: 0, retried: 0, dead: 1 });
    const record = await repository.find(id);
    expect(record).toMatchObject({ state: 'dead', attempts: 1, lastError: 'twilio 400 21211' });
    expect(record).not.toHaveProperty('content');
    clock.advance(24 * 3_600_000);
    await worker.runOnce();
    expect(twilio.requests).toHaveLength(1);
    const dead = logger.lines.find((line) => line.message === 'outbox message dead-lettered');
    expect(dead).toMatchObject({ id, channel: 'sms', reason: 'twilio 400 21211' });
    expect(JSON.stringify(logger.lines)).not.toContain('654321');
  });

  it('dead-letters after maxAttempts transient failures', async () => {
    await setUp();
    twilio.reply = () => ({ status: 500, json: {} });
    const id = await repository.add({ channel: 'sms', to: '+447700900123', text: 'never' });
    const rounds = [];
    for (let i = 0; i < 4; i += 1) {
      rounds.push(await worker.runOnce());
      clock.advance(60_000);
    }
    expect(rounds.map((r) => (r.dead ? 'dead' : 'retried'))).toEqual([
      'retried',
      'retried',
      'retried',
      'dead',
    ]);
    expect(await repository.find(id)).toMatchObject({ state: 'dead', attempts: 4, lastError: 'HTTP_500' });
  });

  it('refuses a number that is not E.164 without calling the provider', async () => {
    await setUp();
    const id = await repository.add({ channel: 'sms', to: '07700900123', text: 'x' });
    expect(await worker.runOnce()).toEqual({ sent: 0, retried: 0, dead: 1 });
    expect(twilio.requests).toHaveLength(0);
    expect(await repository.find(id)).toMatchObject({ state: 'dead', lastError: 'invalid_phone' });
  });
});

describe('twilioSms options', () => {
  it('refuses to be built with both or neither of from and messagingServiceSid', () => {
    expect(() => twilioSms({ accountSid: sid, authToken: token })).toThrow(
      /exactly one of from and messagingServiceSid/,
    );
    expect(() =>
      twilioSms({ accountSid: sid, authToken: token, from: '+15005550006', messagingServiceSid: 'MG1' }),
    ).toThrow(/exactly one/);
  });
});
