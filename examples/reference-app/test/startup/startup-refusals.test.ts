import { createServer, type Server } from 'node:net';
import { freePort, spawnApp, type SpawnedApp } from './spawn-app';

// Each case starts the real server in a child process (tsx compiles it: allow for a loaded machine).
jest.setTimeout(120_000);

let app: SpawnedApp | undefined;
afterEach(async () => {
  await app?.cleanup();
  app = undefined;
});

/** What an operator sees: one `Cannot start:` sentence on stderr, nothing on stdout, no stack trace, exit 1. */
async function expectOneSentence(started: SpawnedApp, variable: string): Promise<string> {
  const code = await started.exited;
  const stderr = started.stderr().trim();
  expect({ code, stdout: started.stdout() }).toEqual({ code: 1, stdout: '' });
  expect(stderr.split('\n')).toHaveLength(1);
  expect(stderr).toMatch(new RegExp(`^Cannot start: .*${variable}`));
  expect(stderr).not.toMatch(/\n\s+at |Error:/);
  return stderr;
}

test('a taken PORT: exits 1 naming PORT, before opening anything else', async () => {
  const blocker: Server = createServer();
  const port = await new Promise<number>((resolve) =>
    blocker.listen(0, () => resolve((blocker.address() as { port: number }).port)),
  );
  try {
    app = spawnApp({ PORT: String(port) });
    const sentence = await expectOneSentence(app, 'PORT');
    expect(sentence).toContain(`PORT ${port} is taken`);
  } finally {
    blocker.close();
  }
});

test('an unreachable REDIS_URL: exits 1 naming REDIS_URL instead of waiting for ever', async () => {
  const redisPort = await freePort();
  app = spawnApp({ PORT: String(await freePort()), REDIS_URL: `redis://:s3cret@127.0.0.1:${redisPort}` });
  const sentence = await expectOneSentence(app, 'REDIS_URL');
  expect(sentence).toContain(`127.0.0.1:${redisPort}`);
  expect(sentence).toContain('ECONNREFUSED');
  expect(sentence).not.toContain('s3cret');
});

test('an unreachable DATABASE_URL: exits 1 naming DATABASE_URL, its password hidden', async () => {
  const databasePort = await freePort();
  app = spawnApp({
    PORT: String(await freePort()),
    DATABASE_URL: `postgres://app:s3cret@127.0.0.1:${databasePort}/app`,
  });
  const sentence = await expectOneSentence(app, 'DATABASE_URL');
  expect(sentence).toContain(`postgres://app:***@127.0.0.1:${databasePort}/app`);
  expect(sentence).not.toContain('s3cret');
});
