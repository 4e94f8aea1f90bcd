import { freePort, spawnApp, startDir, workspaceRoot, type SpawnedApp } from './spawn-app';

jest.setTimeout(120_000);

let app: SpawnedApp | undefined;
afterAll(async () => {
  await app?.cleanup();
});

test('npm start: the URL and what to try come first; Ctrl-C exits 0 with nothing more said', async () => {
  const port = await freePort();
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  app = spawnApp({ PORT: String(port) }, { cmd: npm, args: ['start'], cwd: startDir });
  await app.waitForOutput('Ctrl-C stops it.');

  // npm's own header (`> shieldwall@0.0.0 start`, the command, a blank line) comes first; the app's lines next.
  const lines = app
    .stdout()
    .split('\n')
    .filter((line) => line !== '' && !line.startsWith('> '));
  expect(lines[0]).toBe(`Shieldwall reference app: open http://localhost:${port}`);
  expect(lines[1]).toMatch(/^ {2}Try: /);
  expect(app.stdout()).toContain(`curl -i http://localhost:${port}/readyz`);
  const health = await fetch(`http://127.0.0.1:${port}/healthz`);
  expect(health.status).toBe(200);

  const before = { stdout: app.stdout(), stderr: app.stderr() };
  // What a terminal does on Ctrl-C: SIGINT to every process of the foreground group (npm, the script, the app).
  process.kill(-app.child.pid!, 'SIGINT');
  // From the repository's root, scripts/run.mjs reports the app's quiet stop as exit 0; in a copy of the folder,
  // npm's own `npm start` ends by the signal (null here), as any Node server started by npm does. Quiet in both.
  expect(await app.exited).toBe(workspaceRoot ? 0 : null);
  expect({ stdout: app.stdout(), stderr: app.stderr() }).toEqual(before);
  expect(app.stderr()).toBe('');
});
