import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { simpleParser } from 'mailparser';
import { createReferenceApp, loadConfig, memoryLogger, type ReferenceApp } from '@shieldwall/reference-app';
import { pgliteTarget } from '../helpers/database.js';
import { goodPassword } from './auth-helpers.js';

async function filesIn(dir: string, count: number): Promise<string[]> {
  for (let i = 0; i < 400; i += 1) {
    const files = readdirSync(dir)
      .filter((name) => /\.(eml|txt)$/.test(name))
      .sort();
    if (files.length >= count) return files;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  throw new Error(`expected ${count} files in ${dir}`);
}

describe('reference app in development: the local outbox under .data/outbox', () => {
  let dir: string;
  let app: ReferenceApp;
  const logger = memoryLogger();

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sw-outbox-'));
    const config = loadConfig(
      { NODE_ENV: 'development', DATA_DIR: dir, BCRYPT_COST: '4' },
      { persistDevSecrets: false },
    );
    expect(config.messages.outboxDir).toBe(join(dir, 'outbox'));
    // The outbox is what is under test, not the database: the file's shared PGlite (a fresh schema) spares each
    // test an initdb of its own under DATA_DIR (tens of seconds on a loaded machine, past the hook's timeout).
    app = await createReferenceApp(config, { logger, databaseTarget: await pgliteTarget() });
  });
  afterEach(async () => {
    await app.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('writes the e-mail as an .eml a mail client opens, and prints it with its clickable link', async () => {
    await request(app.app)
      .post('/api/auth/register')
      .send({ email: 'local@example.com', password: goodPassword })
      .expect(202);
    const [file] = await filesIn(join(dir, 'outbox'), 1);
    expect(file).toMatch(/\.eml$/);
    const mail = await simpleParser(readFileSync(join(dir, 'outbox', file!)));
    expect(mail.subject).toBe('Confirm your e-mail address');
    expect(mail.to).toMatchObject({ value: [{ address: 'local@example.com' }] });
    const link = /http:\/\/localhost:3000\/verify-email#token=([A-Za-z0-9_-]{43})/.exec(mail.text ?? '');
    expect(link).not.toBeNull();
    const printed = logger.lines.find((line) => line.message === 'e-mail written to the local outbox');
    expect(printed).toMatchObject({ to: 'local@example.com', file: join(dir, 'outbox', file!) });
    expect(printed!.text).toContain(link![0]);
    await request(app.app).post('/api/auth/verify-email').send({ token: link![1] }).expect(204);
  });

  it('writes an SMS as a .txt and prints it', async () => {
    await request(app.app).post('/api/otp/sms').send({ phone: '+447700900123' }).expect(202);
    const [file] = await filesIn(join(dir, 'outbox'), 1);
    expect(file).toMatch(/\.txt$/);
    expect(readFileSync(join(dir, 'outbox', file!), 'utf8')).toMatch(
      /^To: \+447700900123\n\n\d{6} is your verification code to verify your phone number/,
    );
    expect(logger.lines.some((line) => line.message === 'SMS written to the local outbox')).toBe(true);
  });
});
