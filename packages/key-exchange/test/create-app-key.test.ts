import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { JWK } from 'jose';
import type { AppVersionsConfig } from '../src/index.js';
import { createKeyExchangeClient } from '../src/client.js';
import { startHarness } from './helpers.js';
import { createSealer } from './fixtures/sealer.js';

const run = promisify(execFile);
const root = join(__dirname, '..');

describe('create-app-key', () => {
  it('adds a sealed entry to the registry and prints the public JWK that a build embeds', async () => {
    const registry = join(mkdtempSync(join(tmpdir(), 'kx-cli-')), 'keys.json');
    const cli = (version: string) =>
      run(
        process.execPath,
        [
          '--import',
          'tsx',
          'src/bin/create-app-key.ts',
          '--platform',
          'ios',
          '--version',
          version,
          '--registry',
          registry,
          '--sealer-module',
          'test/fixtures/sealer.ts',
        ],
        { cwd: root },
      );
    const { stdout } = await cli('5.0.0');
    const jwk = JSON.parse(stdout) as JWK;
    expect(jwk).toMatchObject({ kty: 'RSA', alg: 'RSA-OAEP-256', use: 'enc' });
    expect(jwk).not.toHaveProperty('d');
    const config = JSON.parse(readFileSync(registry, 'utf8')) as AppVersionsConfig;
    expect(config.keys).toHaveLength(1);
    expect(config.keys[0]!.kid).toBe(jwk.kid);
    expect(statSync(registry).mode & 0o077).toBe(0);
    // A second key for the same version is refused.
    await expect(cli('5.0.0')).rejects.toMatchObject({ code: 1 });

    const h = await startHarness({ sealer: createSealer(), appVersions: config });
    try {
      const client = createKeyExchangeClient({
        baseUrl: h.url,
        app: { platform: 'ios', version: '5.0.0', publicKey: jwk },
      });
      const response = await client.fetch('/api/echo', { method: 'POST', body: { built: true } });
      expect(await response.json()).toMatchObject({ body: { built: true } });
    } finally {
      await h.close();
    }
  }, 120_000);
});
