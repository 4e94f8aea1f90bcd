import {
  CaptchaUnavailableError,
  hcaptcha,
  recaptchaEnterprise,
  recaptchaV3,
  turnstile,
  type VerifyContext,
} from '../src/index.js';
import { fakeProvider, type FakeProvider } from './fake-provider.js';

const context = (overrides: Partial<VerifyContext> = {}): VerifyContext => ({
  expectedAction: 'register',
  remoteIp: '203.0.113.9',
  userAgent: 'test-agent/1.0',
  signal: AbortSignal.timeout(2000),
  ...overrides,
});

let provider: FakeProvider;
beforeEach(async () => {
  provider = await fakeProvider();
});
afterEach(async () => {
  await provider.close();
});

describe('reCAPTCHA v3', () => {
  it('posts secret, response and remoteip form-encoded and normalises the reply', async () => {
    provider.reply = {
      json: {
        success: true,
        score: 0.9,
        action: 'register',
        challenge_ts: '2026-01-01T00:00:00Z',
        hostname: 'app.example.com',
      },
    };
    const verifier = recaptchaV3({ secret: 's3cret', url: provider.url });
    const result = await verifier.verify('tok-1', context());
    expect(provider.calls).toHaveLength(1);
    const call = provider.calls[0]!;
    expect(call.method).toBe('POST');
    expect(call.contentType).toBe('application/x-www-form-urlencoded');
    expect(call.body).toEqual({ secret: 's3cret', response: 'tok-1', remoteip: '203.0.113.9' });
    expect(result).toEqual({
      provider: 'recaptcha',
      valid: true,
      score: 0.9,
      action: 'register',
      hostname: 'app.example.com',
      challengeTime: Date.UTC(2026, 0, 1),
      reasons: [],
    });
  });

  it('reports a bad token as invalid with its error codes', async () => {
    provider.reply = { json: { success: false, 'error-codes': ['timeout-or-duplicate'] } };
    const result = await recaptchaV3({ secret: 's', url: provider.url }).verify('tok', context());
    expect(result.valid).toBe(false);
    expect(result.score).toBeUndefined();
    expect(result.reasons).toEqual(['timeout-or-duplicate']);
  });

  it('treats our own bad secret as unavailable, not as a verdict on the token', async () => {
    provider.reply = { json: { success: false, 'error-codes': ['invalid-input-secret'] } };
    await expect(
      recaptchaV3({ secret: 's', url: provider.url }).verify('tok', context()),
    ).rejects.toMatchObject({
      name: 'CaptchaUnavailableError',
      reason: 'provider:invalid-input-secret',
    });
  });

  it('reads the Android package name as the hostname', async () => {
    provider.reply = {
      json: {
        success: true,
        score: 0.7,
        action: 'register',
        challenge_ts: '2026-01-01T00:00:00Z',
        apk_package_name: 'com.example.app',
      },
    };
    const result = await recaptchaV3({ secret: 's', url: provider.url }).verify('tok', context());
    expect(result.hostname).toBe('com.example.app');
  });
});

describe('hCaptcha', () => {
  it('posts form-encoded with sitekey and inverts the Enterprise risk score to human-likelihood', async () => {
    provider.reply = {
      json: {
        success: true,
        challenge_ts: '2026-01-01T00:00:00Z',
        hostname: 'app.example.com',
        score: 0.3,
        score_reason: ['safe'],
      },
    };
    const result = await hcaptcha({ secret: '0xsecret', siteKey: 'site-1', url: provider.url }).verify(
      'P1_tok',
      context(),
    );
    const call = provider.calls[0]!;
    expect(call.contentType).toBe('application/x-www-form-urlencoded');
    expect(call.body).toEqual({
      secret: '0xsecret',
      response: 'P1_tok',
      remoteip: '203.0.113.9',
      sitekey: 'site-1',
    });
    expect(result.score).toBeCloseTo(0.7, 10);
    expect(result.action).toBeUndefined();
    expect(result.reasons).toEqual(['safe']);
  });

  it('has no score without Enterprise, and accepts the score-reason spelling', async () => {
    provider.reply = {
      json: { success: true, challenge_ts: '2026-01-01T00:00:00Z', hostname: 'h', 'score-reason': ['x'] },
    };
    const result = await hcaptcha({ secret: 's', url: provider.url }).verify('t', context());
    expect(result.score).toBeUndefined();
    expect(result.reasons).toEqual(['x']);
  });

  it('maps already-seen tokens to invalid and sitekey-secret-mismatch to unavailable', async () => {
    provider.reply = { json: { success: false, 'error-codes': ['already-seen-response'] } };
    const verifier = hcaptcha({ secret: 's', url: provider.url });
    await expect(verifier.verify('t', context())).resolves.toMatchObject({
      valid: false,
      reasons: ['already-seen-response'],
    });
    provider.reply = { json: { success: false, 'error-codes': ['sitekey-secret-mismatch'] } };
    await expect(verifier.verify('t', context())).rejects.toBeInstanceOf(CaptchaUnavailableError);
  });
});

describe('Turnstile', () => {
  it('posts form-encoded with a fresh UUID idempotency_key and reads action and challenge time', async () => {
    provider.reply = {
      json: {
        success: true,
        challenge_ts: '2026-01-01T00:00:00.000Z',
        hostname: 'app.example.com',
        'error-codes': [],
        action: 'register',
        cdata: 'x',
      },
    };
    const verifier = turnstile({ secret: '1x0000000000000000000000000000000AA', url: provider.url });
    const result = await verifier.verify('tt', context());
    await verifier.verify('tt2', context());
    const [first, second] = provider.calls;
    expect(first!.contentType).toBe('application/x-www-form-urlencoded');
    expect(first!.body).toMatchObject({
      secret: '1x0000000000000000000000000000000AA',
      response: 'tt',
      remoteip: '203.0.113.9',
    });
    expect(first!.body.idempotency_key).toMatch(/^[0-9a-f-]{36}$/);
    expect(second!.body.idempotency_key).not.toBe(first!.body.idempotency_key);
    expect(result).toMatchObject({
      valid: true,
      score: undefined,
      action: 'register',
      challengeTime: Date.UTC(2026, 0, 1),
    });
  });

  it('treats internal-error as unavailable', async () => {
    provider.reply = { json: { success: false, 'error-codes': ['internal-error'] } };
    await expect(turnstile({ secret: 's', url: provider.url }).verify('t', context())).rejects.toMatchObject({
      reason: 'provider:internal-error',
    });
  });
});

describe('reCAPTCHA Enterprise', () => {
  let assessments: FakeProvider;
  beforeEach(async () => {
    assessments = await fakeProvider('/v1/projects/my-project/assessments');
  });
  afterEach(async () => {
    await assessments.close();
  });

  it('creates an assessment with a JSON event and the API key in a header', async () => {
    assessments.reply = {
      json: {
        name: 'projects/123/assessments/abc',
        event: {},
        riskAnalysis: { score: 0.3, reasons: ['AUTOMATION'] },
        tokenProperties: {
          valid: true,
          invalidReason: 'INVALID_REASON_UNSPECIFIED',
          action: 'register',
          createTime: '2026-01-01T00:00:00.123Z',
          hostname: 'app.example.com',
        },
      },
    };
    const verifier = recaptchaEnterprise({ secret: 'api-key', siteKey: 'site-key', url: assessments.url });
    const result = await verifier.verify('etok', context());
    const call = assessments.calls[0]!;
    expect(call.path).toBe('/v1/projects/my-project/assessments');
    expect(call.contentType).toBe('application/json');
    expect(call.headers['x-goog-api-key']).toBe('api-key');
    expect(call.body).toEqual({
      event: {
        token: 'etok',
        siteKey: 'site-key',
        expectedAction: 'register',
        userIpAddress: '203.0.113.9',
        userAgent: 'test-agent/1.0',
      },
    });
    expect(result).toEqual({
      provider: 'recaptcha-enterprise',
      valid: true,
      score: 0.3,
      action: 'register',
      hostname: 'app.example.com',
      challengeTime: Date.UTC(2026, 0, 1, 0, 0, 0, 123),
      reasons: ['AUTOMATION'],
    });
  });

  it('reports invalid tokens with their invalidReason', async () => {
    assessments.reply = {
      json: { tokenProperties: { valid: false, invalidReason: 'DUPE' }, riskAnalysis: {} },
    };
    const result = await recaptchaEnterprise({ secret: 'k', siteKey: 's', url: assessments.url }).verify(
      't',
      context(),
    );
    expect(result).toMatchObject({ valid: false, score: undefined, reasons: ['DUPE'] });
  });

  it('treats a Google API error (403 JSON) as unavailable', async () => {
    assessments.reply = {
      status: 403,
      json: { error: { code: 403, message: 'API key not valid', status: 'PERMISSION_DENIED' } },
    };
    await expect(
      recaptchaEnterprise({ secret: 'k', siteKey: 's', url: assessments.url }).verify('t', context()),
    ).rejects.toMatchObject({
      reason: 'status_403',
    });
  });

  it('builds the default URL from the project id and requires the site key', () => {
    expect(() => recaptchaEnterprise({ secret: 'k', siteKey: 's' })).toThrow(/projectId/);
    expect(() => recaptchaEnterprise({ secret: 'k', projectId: 'p' } as never)).toThrow(/siteKey/);
  });
});

describe('failures of the provider', () => {
  it('turns a 5xx HTML page, a hang past the timeout and a refused connection into CaptchaUnavailableError', async () => {
    const verifier = recaptchaV3({ secret: 's', url: provider.url });
    provider.reply = { status: 502, text: '<html>Bad gateway</html>' };
    await expect(verifier.verify('t', context())).rejects.toMatchObject({ reason: 'status_502' });

    provider.reply = { hang: true };
    await expect(verifier.verify('t', context({ signal: AbortSignal.timeout(100) }))).rejects.toMatchObject({
      reason: 'timeout',
    });

    const closed = await fakeProvider();
    const url = closed.url;
    await closed.close();
    await expect(recaptchaV3({ secret: 's', url }).verify('t', context())).rejects.toMatchObject({
      reason: 'network',
    });
  });

  it('rejects bad options at start-up, naming the option', () => {
    expect(() => recaptchaV3({ secret: '' })).toThrow(/recaptchaV3.secret/);
    expect(() => turnstile({ secret: 's', url: 'ftp://x' })).toThrow(/turnstile.url/);
  });
});
