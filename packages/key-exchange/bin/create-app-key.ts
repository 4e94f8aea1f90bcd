// Creates the RSA key pair for a new mobile app version, adds it (private key sealed) to a registry JSON file and
// prints the public JWK to embed in the build. Run with tsx:
//
//   npx tsx packages/key-exchange/bin/create-app-key.ts --platform ios --version 2.4.0 \
//     --registry mobile-app-keys.json --sealer-module ./my-sealer.ts
//
// The sealer module exports `createSealer()` (sync or async) returning the SecretSealer the server will open the
// key with (the reference app: examples/reference-app/src/features/key-exchange-sealer.ts).
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { createAppVersionKey, type AppVersionsConfig, type SecretSealer } from '../src/index.js';

export async function runCreateAppKey(argv: readonly string[]): Promise<string> {
  const args = new Map<string, string>();
  for (let i = 0; i < argv.length; i += 2) {
    const name = argv[i];
    const value = argv[i + 1];
    if (!name?.startsWith('--') || value === undefined)
      throw new Error(`unexpected argument ${String(name)}`);
    args.set(name.slice(2), value);
  }
  const platform = args.get('platform');
  const version = args.get('version');
  const registry = args.get('registry');
  const sealerModule = args.get('sealer-module');
  if (!platform || !version || !registry || !sealerModule) {
    throw new Error(
      'usage: create-app-key --platform <ios|android> --version <x.y.z> --registry <file.json> --sealer-module <module>',
    );
  }
  const loaded = (await import(pathToFileURL(resolve(sealerModule)).href)) as {
    createSealer?: () => SecretSealer | Promise<SecretSealer>;
  };
  if (typeof loaded.createSealer !== 'function')
    throw new Error(`${sealerModule} does not export createSealer()`);
  const sealer = await loaded.createSealer();
  const config: AppVersionsConfig = existsSync(registry)
    ? (JSON.parse(readFileSync(registry, 'utf8')) as AppVersionsConfig)
    : { keys: [] };
  if (config.keys.some((k) => k.platform === platform && k.version === version)) {
    throw new Error(`${platform} ${version} already has a key in ${registry}`);
  }
  const { entry, publicJwk } = await createAppVersionKey({ platform, version, sealer });
  writeFileSync(registry, JSON.stringify({ ...config, keys: [...config.keys, entry] }, null, 2) + '\n', {
    mode: 0o600,
  });
  return JSON.stringify(publicJwk, null, 2);
}

const invoked = process.argv[1] && /create-app-key\.[cm]?[jt]s$/.test(process.argv[1]);
if (invoked) {
  runCreateAppKey(process.argv.slice(2)).then(
    (jwk) => process.stdout.write(jwk + '\n'),
    (error: unknown) => {
      process.stderr.write(`create-app-key: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exitCode = 1;
    },
  );
}
