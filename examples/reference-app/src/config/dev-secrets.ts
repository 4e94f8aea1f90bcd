import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

interface DevSecrets {
  jwtSecrets: Array<{ id: string; key: Buffer }>;
  walletKeks: Array<{ id: string; key: Buffer }>;
}

function generate(): DevSecrets {
  return {
    jwtSecrets: [{ id: 'dev1', key: randomBytes(32) }],
    walletKeks: [{ id: 'dev1', key: randomBytes(32) }],
  };
}

/**
 * Development only: secrets generated once and kept in `<dataDir>/dev-secrets.json` (git-ignored, mode 600), so a
 * restart keeps sessions and wallets readable. Tests pass persist=false and get fresh secrets in memory.
 */
export function developmentSecrets(dataDir: string, persist: boolean): DevSecrets {
  if (!persist) return generate();
  const file = join(dataDir, 'dev-secrets.json');
  if (existsSync(file)) {
    const saved = JSON.parse(readFileSync(file, 'utf8')) as Record<
      keyof DevSecrets,
      Array<{ id: string; key: string }>
    >;
    const decode = (entries: Array<{ id: string; key: string }>) =>
      entries.map(({ id, key }) => ({ id, key: Buffer.from(key, 'base64') }));
    return { jwtSecrets: decode(saved.jwtSecrets), walletKeks: decode(saved.walletKeks) };
  }
  const secrets = generate();
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const encode = (entries: Array<{ id: string; key: Buffer }>) =>
    entries.map(({ id, key }) => ({ id, key: key.toString('base64') }));
  writeFileSync(
    file,
    JSON.stringify(
      { jwtSecrets: encode(secrets.jwtSecrets), walletKeks: encode(secrets.walletKeks) },
      null,
      2,
    ),
    { mode: 0o600 },
  );
  return secrets;
}
