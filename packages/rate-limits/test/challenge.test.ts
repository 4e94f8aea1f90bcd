import { randomUUID } from 'node:crypto';
import {
  challengeHeaders,
  type ChallengeContext,
  type ChallengeProvider,
  type ChallengeAnswer,
} from '@shieldwall/core';
import request from 'supertest';
import { rateLimit, type RateLimitHandler } from '../src/index.js';
import { probeApp } from './probe-app.js';

/** A small provider: each challenge's answer is known to the test, bound to action and subject, single-use. */
function testProvider() {
  const pending = new Map<string, { answer: string; action: string; subject: string }>();
  const issued: ChallengeContext[] = [];
  const provider: ChallengeProvider = {
    async issue(context) {
      issued.push(context);
      const id = randomUUID();
      pending.set(id, {
        answer: String(100000 + pending.size),
        action: context.action,
        subject: context.subject,
      });
      return { id, channel: 'email', expiresAt: Date.UTC(2030, 0, 1) };
    },
    async verify(context, given: ChallengeAnswer) {
      const entry = pending.get(given.id);
      if (!entry || entry.action !== context.action || entry.subject !== context.subject) return 'failed';
      if (entry.answer !== given.answer) return 'failed';
      pending.delete(given.id);
      return 'passed';
    },
  };
  return { provider, issued, answerFor: (id: string) => pending.get(id)?.answer ?? 'none' };
}

describe('challenge instead of block', () => {
  const open: RateLimitHandler[] = [];
  const limiter = (options: Parameters<typeof rateLimit>[0]): RateLimitHandler => {
    const l = rateLimit(options);
    open.push(l);
    return l;
  };
  afterEach(async () => {
    for (const l of open.splice(0)) await l.close();
  });

  it('answers an over-limit request with 403 verification_required and the challenge', async () => {
    const t = testProvider();
    const app = probeApp(limiter({ name: 'login', limit: 1, challenge: t.provider }));
    await request(app).post('/probe').expect(200);
    const res = await request(app).post('/probe').expect(403);
    expect(res.body).toEqual({
      error: {
        code: 'verification_required',
        message: 'Too many requests: verification is required to continue.',
        challenge: { id: expect.any(String), channel: 'email', expiresAt: Date.UTC(2030, 0, 1) },
      },
    });
    expect(res.headers['retry-after']).toBeUndefined();
    expect(res.headers['x-ratelimit-remaining']).toBe('0');
    expect(t.issued).toHaveLength(1);
    expect(t.issued[0]).toMatchObject({ action: 'login', subject: 'login:127.0.0.1' });
  });

  it('lets a correct answer through once, and never refills the budget', async () => {
    const t = testProvider();
    const app = probeApp(limiter({ name: 'login', limit: 2, challenge: t.provider }));
    await request(app).post('/probe').expect(200);
    await request(app).post('/probe').expect(200);
    const challenged = await request(app).post('/probe').expect(403);
    const id = challenged.body.error.challenge.id as string;
    const passed = await request(app)
      .post('/probe')
      .set(challengeHeaders.id, id)
      .set(challengeHeaders.answer, t.answerFor(id))
      .expect(200);
    expect(passed.body).toEqual({ ok: true });
    expect(passed.headers['x-ratelimit-remaining']).toBe('0');
    // Let through: nothing tells the client to wait.
    expect(passed.headers['retry-after']).toBeUndefined();
    // A solved challenge bought that one request, not a new budget: the next one is challenged again, and after
    // maxChallenges (5) requests past the limit, solved or not, the answer is 429 until the window ends.
    await request(app).post('/probe').expect(403);
    await request(app).post('/probe').expect(403);
    const again = await request(app).post('/probe').expect(403);
    const id2 = again.body.error.challenge.id as string;
    await request(app)
      .post('/probe')
      .set(challengeHeaders.id, id2)
      .set(challengeHeaders.answer, t.answerFor(id2))
      .expect(429);
  });

  it('counts a keyed limiter per key, across IPs, and skips requests without a key', async () => {
    const app = probeApp(
      limiter({
        name: 'account',
        limit: 2,
        key: (req) => (req.headers['x-account'] as string | undefined) ?? undefined,
      }),
      { resolveIpFrom: 'x-test-ip' },
    );
    const from = (ip: string, account?: string) => {
      const r = request(app).post('/probe').set('x-test-ip', ip);
      return account ? r.set('x-account', account) : r;
    };
    await from('203.0.113.1', 'ann').expect(200);
    await from('203.0.113.2', 'ann').expect(200);
    const refused = await from('203.0.113.3', 'ann').expect(429);
    expect(refused.body.error.code).toBe('rate_limited');
    await from('203.0.113.3', 'bob').expect(200);
    for (let i = 0; i < 3; i++) await from('203.0.113.3').expect(200);
  });

  it('does not challenge twice: a request that answered one limiter passes another of the same action', async () => {
    const t = testProvider();
    const perIp = limiter({ name: 'login', limit: 1, challenge: t.provider });
    const perAccount = limiter({
      name: 'account',
      limit: 1,
      challenge: t.provider,
      challengeAction: 'login',
      key: () => 'ann',
    });
    const app = probeApp([perIp, perAccount]);
    await request(app).post('/probe').expect(200);
    const challenged = await request(app).post('/probe').expect(403);
    expect(t.issued).toHaveLength(1);
    const id = challenged.body.error.challenge.id as string;
    const passed = await request(app)
      .post('/probe')
      .set(challengeHeaders.id, id)
      .set(challengeHeaders.answer, t.answerFor(id))
      .expect(200);
    expect(t.issued).toHaveLength(1);
    expect(passed.headers['retry-after']).toBeUndefined();
  });

  it('refuses a wrong, replayed or foreign answer with a fresh challenge and lets nothing through', async () => {
    const t = testProvider();
    const app = probeApp(limiter({ name: 'login', limit: 1, challenge: t.provider, maxChallenges: 10 }), {
      resolveIpFrom: 'x-test-ip',
    });
    const as = (ip: string) => ({ post: () => request(app).post('/probe').set('x-test-ip', ip) });
    await as('203.0.113.1').post().expect(200);
    const first = await as('203.0.113.1').post().expect(403);
    const id = first.body.error.challenge.id as string;
    const answer = t.answerFor(id);
    const wrong = await as('203.0.113.1')
      .post()
      .set(challengeHeaders.id, id)
      .set(challengeHeaders.answer, '000000')
      .expect(403);
    expect(wrong.body.error.code).toBe('verification_required');
    expect(wrong.body.error.challenge.id).not.toBe(id);
    // Another client (another subject) cannot use this client's answer.
    await as('203.0.113.9').post().expect(200);
    await as('203.0.113.9')
      .post()
      .set(challengeHeaders.id, id)
      .set(challengeHeaders.answer, answer)
      .expect(403);
    // The right client can; once.
    await as('203.0.113.1')
      .post()
      .set(challengeHeaders.id, id)
      .set(challengeHeaders.answer, answer)
      .expect(200);
    await as('203.0.113.1').post().expect(403); // one request passed; the budget is not refilled
    await as('203.0.113.1')
      .post()
      .set(challengeHeaders.id, id)
      .set(challengeHeaders.answer, answer)
      .expect(403);
  });

  it('falls back to a plain 429 after maxChallenges over-limit requests, without asking the provider', async () => {
    const t = testProvider();
    const app = probeApp(limiter({ name: 'login', limit: 1, challenge: t.provider, maxChallenges: 2 }));
    await request(app).post('/probe').expect(200);
    await request(app).post('/probe').expect(403);
    const second = await request(app).post('/probe').expect(403);
    const id = second.body.error.challenge.id as string;
    const res = await request(app)
      .post('/probe')
      .set(challengeHeaders.id, id)
      .set(challengeHeaders.answer, t.answerFor(id))
      .expect(429);
    expect(res.body.error.code).toBe('rate_limited');
    expect(res.headers['retry-after']).toMatch(/^\d+$/);
    expect(t.issued).toHaveLength(2);
  });

  it('reads a provider at request time, and blocks with 429 while there is none', async () => {
    const t = testProvider();
    const slot: { provider?: ChallengeProvider } = {};
    const app = probeApp(limiter({ name: 'register', limit: 1, challenge: () => slot.provider }));
    await request(app).post('/probe').expect(200);
    await request(app).post('/probe').expect(429);
    slot.provider = t.provider;
    const res = await request(app).post('/probe').expect(403);
    expect(res.body.error.code).toBe('verification_required');
    expect(t.issued[0]).toMatchObject({ action: 'register' });
  });

  it('passes a provider failure to the error handler as a 500, letting nothing through', async () => {
    const broken: ChallengeProvider = {
      issue: () => Promise.reject(new Error('mail server down')),
      verify: () => Promise.resolve('failed'),
    };
    const app = probeApp(limiter({ name: 'login', limit: 1, challenge: broken }));
    await request(app).post('/probe').expect(200);
    const res = await request(app).post('/probe').expect(500);
    expect(res.body).toEqual({
      error: { code: 'internal_error', message: 'Something went wrong on our side.' },
    });
  });
});
