import type { Response } from 'supertest';
import { fakeProvider, type FakeProvider } from '../../packages/oauth-providers/test/fake-providers.js';
import {
  cookiesOf,
  expectNothingChanged,
  expectRefused,
  freshIp,
  modes,
  startTarget,
  type Target,
} from './harness.js';

// Threat: "OAuth attacker" (docs/threat-model.md): login CSRF, code injection, state and PKCE tampering, account
// takeover by e-mail, against GitHub and Google fakes on loopback (oauth-providers' own test providers), in
// development and production.

describe.each(modes)('OAuth attacks (%s)', (mode) => {
  let a: Target;
  let github: FakeProvider;
  let google: FakeProvider;
  beforeAll(async () => {
    github = await fakeProvider('github', { clientId: 'github-id', clientSecret: 'github-secret' });
    google = await fakeProvider('google', { clientId: 'google-id', clientSecret: 'google-secret' });
    a = await startTarget(mode, {
      OAUTH_GITHUB_CLIENT_ID: 'github-id',
      OAUTH_GITHUB_CLIENT_SECRET: 'github-secret',
      OAUTH_GITHUB_BASE_URL: github.url,
      OAUTH_GOOGLE_CLIENT_ID: 'google-id',
      OAUTH_GOOGLE_CLIENT_SECRET: 'google-secret',
      OAUTH_GOOGLE_BASE_URL: google.url,
    });
  });
  afterAll(async () => {
    await a.close();
    await github.close();
    await google.close();
  });

  const local = (url: string): string => new URL(url).pathname + new URL(url).search;
  /** Starts a sign-in as a browser: the provider's authorize URL and this browser's flow cookie. */
  const start = async (provider = 'github', ip = freshIp()) => {
    const res = await a.call('get', `/api/auth/oauth/${provider}`, ip).expect(302);
    const cookie = (res.headers['set-cookie'] as unknown as string[])[0]!.split(';')[0]!;
    return { authorize: res.headers.location as string, cookie, ip };
  };
  const callback = (path: string, cookie: string | undefined, ip = freshIp()) => {
    const req = a.call('get', path, ip);
    return cookie ? req.set('Cookie', cookie) : req;
  };
  const refusedWithoutSession = async (res: Response, status: number, code: string) => {
    expectRefused(res, status, code);
    expect(Object.keys(cookiesOf(res)).some((name) => /(^|-)at$/.test(name))).toBe(false);
  };

  it('state tampered on the way back', async () => {
    const flow = await start();
    const back = new URL(await github.approve(flow.authorize));
    back.searchParams.set('state', 'x'.repeat(43));
    const before = await a.snapshot();
    await refusedWithoutSession(await callback(local(back.href), flow.cookie), 403, 'oauth_state_mismatch');
    await expectNothingChanged(a, before);
  });

  it('login CSRF: the attacker own callback URL opened in the victim browser (no flow cookie)', async () => {
    const attacker = await start();
    const back = local(await github.approve(attacker.authorize));
    const before = await a.snapshot();
    await refusedWithoutSession(await callback(back, undefined), 403, 'oauth_state_mismatch');
    await expectNothingChanged(a, before);
  });

  it('login CSRF: the attacker callback with the victim own flow cookie (another flow)', async () => {
    const victim = await start();
    const attacker = await start();
    const back = local(await github.approve(attacker.authorize));
    const before = await a.snapshot();
    await refusedWithoutSession(await callback(back, victim.cookie), 403, 'oauth_state_mismatch');
    await expectNothingChanged(a, before);
  });

  it('a flow cookie of one provider on another provider callback', async () => {
    const flow = await start('github');
    const other = await start('google');
    const back = local(await google.approve(other.authorize));
    const before = await a.snapshot();
    await refusedWithoutSession(await callback(back, flow.cookie), 403, 'oauth_state_mismatch');
    await expectNothingChanged(a, before);
  });

  it('code injection: a code issued to another flow under this flow state (PKCE verifier does not match)', async () => {
    const victim = await start();
    const attacker = await start();
    const victimBack = new URL(await github.approve(victim.authorize));
    const attackerBack = new URL(await github.approve(attacker.authorize));
    victimBack.searchParams.set('code', attackerBack.searchParams.get('code')!);
    const before = await a.snapshot();
    const users = await a.t.services.users.count();
    const res = await callback(local(victimBack.href), victim.cookie, victim.ip);
    await refusedWithoutSession(res, 400, 'oauth_code_rejected');
    expect(await a.t.services.users.count()).toBe(users);
    // The victim's flow state is spent by the attempt (single use), nothing else.
    await expectNothingChanged(a, before, /^setIfAbsent |^take /);
  });

  it('a replayed callback (same code, same cookie) after the sign-in', async () => {
    const flow = await start();
    const back = local(await github.approve(flow.authorize));
    expect((await callback(back, flow.cookie, flow.ip)).status).toBe(302);
    const before = await a.snapshot();
    await refusedWithoutSession(await callback(back, flow.cookie, flow.ip), 403, 'oauth_state_mismatch');
    await expectNothingChanged(a, before);
  });

  it('account takeover by an e-mail the provider did not verify', async () => {
    await a.account('owner@example.com');
    google.profile.email = 'owner@example.com';
    google.profile.email_verified = false;
    const flow = await start('google');
    const res = await callback(local(await google.approve(flow.authorize)), flow.cookie, flow.ip);
    expect(res.status).toBe(302);
    const owner = await a.t.services.users.findByEmail('owner@example.com');
    expect(owner?.identities).toEqual([]);
  });

  it('callback parameters sent to the start route', async () => {
    const before = await a.snapshot();
    await refusedWithoutSession(
      await a.call('get', '/api/auth/oauth/github?code=stolen&state=x', freshIp()),
      400,
      'oauth_invalid_request',
    );
    await expectNothingChanged(a, before);
  });
});
