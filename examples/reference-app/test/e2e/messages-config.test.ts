import { ConfigProblems, loadConfig, type Env } from '@shieldwall/reference-app';
import { productionEnv } from './auth-helpers.js';

const twilio = {
  SMS_PROVIDER: 'twilio',
  TWILIO_ACCOUNT_SID: 'AC00000000000000000000000000000001',
  TWILIO_AUTH_TOKEN: 'token',
  TWILIO_FROM: '+15005550006',
};

function problems(env: Env): string[] {
  try {
    loadConfig(env, { persistDevSecrets: false });
  } catch (error) {
    if (error instanceof ConfigProblems) return [...error.problems];
    throw error;
  }
  return [];
}

const production = (change: Record<string, string | undefined>): Env => {
  const env: Record<string, string | undefined> = { ...productionEnv(), ...change };
  for (const [name, value] of Object.entries(change)) if (value === undefined) delete env[name];
  return env;
};

describe('reference app configuration: mail, SMS and the outbox', () => {
  it('refuses to start in production without a mail transport, naming SMTP_URL and MAIL_FROM', () => {
    const found = problems(production({ SMTP_URL: undefined, MAIL_FROM: undefined }));
    expect(found).toEqual([
      expect.stringMatching(/^SMTP_URL is required in production/),
      expect.stringMatching(/^MAIL_FROM is required/),
    ]);
  });

  it('refuses to start in production with the SMS routes on and no SMS provider, naming SMS_PROVIDER and SMS_ROUTES', () => {
    const found = problems(production({ SMS_ROUTES: undefined }));
    expect(found).toHaveLength(1);
    expect(found[0]).toMatch(/^SMS_PROVIDER is required in production while the SMS routes are on/);
    expect(found[0]).toContain('SMS_ROUTES=off');
  });

  it('starts in production with a provider, or with the SMS routes explicitly off', () => {
    expect(problems(production({ SMS_ROUTES: undefined, ...twilio }))).toEqual([]);
    expect(problems(production({ SMS_ROUTES: 'off' }))).toEqual([]);
    expect(
      loadConfig(production({ SMS_ROUTES: undefined, ...twilio }), { persistDevSecrets: false }).messages,
    ).toMatchObject({
      smtpUrl: 'smtp://127.0.0.1:1',
      mailFrom: 'Shieldwall <no-reply@example.test>',
      smsRoutes: true,
      sms: { provider: 'twilio', from: '+15005550006' },
    });
  });

  it.each([
    [{ SMTP_URL: 'https://mail.example.com' }, /^SMTP_URL must be smtp:\/\//],
    [{ SMTP_URL: 'not a url' }, /^SMTP_URL must be an absolute URL/],
    [{ MAIL_FROM: 'nobody' }, /^MAIL_FROM must be an address/],
    [{ SMS_ROUTES: 'maybe' }, /^SMS_ROUTES must be on or off/],
    [{ SMS_PROVIDER: 'carrier-pigeon' }, /^SMS_PROVIDER must be twilio/],
    [
      { ...twilio, TWILIO_AUTH_TOKEN: undefined },
      /^SMS_PROVIDER=twilio needs TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN/,
    ],
    [
      { ...twilio, TWILIO_MESSAGING_SERVICE_SID: 'MG1' },
      /exactly one of TWILIO_FROM .* and TWILIO_MESSAGING_SERVICE_SID/,
    ],
    [{ ...twilio, TWILIO_FROM: '5550006' }, /^TWILIO_FROM must be an E.164 number/],
    [{ ...twilio, TWILIO_BASE_URL: 'nope' }, /^TWILIO_BASE_URL must be an absolute URL/],
    [{ SMTP_TLS_CA_FILE: '/no/such/file.pem' }, /^SMTP_TLS_CA_FILE must name a readable PEM file/],
    [{ OUTBOX_POLL_MS: '-5' }, /^OUTBOX_POLL_MS must be a positive whole number/],
  ])('refuses %p with one line naming the variable', (change, expected) => {
    const found = problems(production(change));
    expect(found).toEqual([expect.stringMatching(expected)]);
    // Secrets in the values are never repeated in the message.
    expect(found.join('\n')).not.toContain('token');
  });

  it('needs neither outside production: development writes to .data/outbox, test keeps messages in memory', () => {
    const dev = loadConfig(
      {
        NODE_ENV: 'development',
        DATA_DIR: '/tmp/sw-data',
        JWT_SECRETS: productionEnv().JWT_SECRETS,
        WALLET_KEKS: productionEnv().WALLET_KEKS,
      },
      { persistDevSecrets: false },
    );
    expect(dev.messages).toEqual({
      mailFrom: 'Shieldwall <no-reply@localhost>',
      smsRoutes: true,
      outboxDir: '/tmp/sw-data/outbox',
      outboxPollMs: 1000,
      perDestination: { limit: 5, windowMs: 3600_000 },
    });
    const test = loadConfig({ NODE_ENV: 'test' }, { persistDevSecrets: false });
    expect(test.messages).not.toHaveProperty('outboxDir');
    expect(test.messages).not.toHaveProperty('smtpUrl');
  });

  it('reads the per-destination cap and refuses values that would disable or overflow it', () => {
    const set = loadConfig(
      { NODE_ENV: 'test', MESSAGES_PER_DESTINATION: '3', MESSAGES_PER_DESTINATION_WINDOW_MS: '600000' },
      { persistDevSecrets: false },
    );
    expect(set.messages.perDestination).toEqual({ limit: 3, windowMs: 600_000 });
    expect(problems({ NODE_ENV: 'test', MESSAGES_PER_DESTINATION: '0' })).toEqual([
      'MESSAGES_PER_DESTINATION must be a positive whole number',
    ]);
    expect(problems({ NODE_ENV: 'test', MESSAGES_PER_DESTINATION: '1001' })).toEqual([
      'MESSAGES_PER_DESTINATION must be a whole number from 1 to 1000',
    ]);
    expect(problems({ NODE_ENV: 'test', MESSAGES_PER_DESTINATION_WINDOW_MS: '1000' })).toEqual([
      'MESSAGES_PER_DESTINATION_WINDOW_MS must be a whole number of milliseconds from 60000 to 604800000',
    ]);
  });
});
