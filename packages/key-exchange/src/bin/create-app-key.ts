#!/usr/bin/env node
// `create-app-key`: creates the RSA key pair for a new mobile app version, adds it (private key sealed) to a
// registry JSON file and prints the public JWK to embed in the build. Shipped compiled (dist/bin), so it runs
// from an npm install:
//
//   npx create-app-key --platform ios --version 2.4.0 --registry mobile-app-keys.json --sealer-module ./sealer.mjs
//
// The sealer module exports `createSealer()` (sync or async) returning the SecretSealer the server will open the
// key with (the reference app: examples/reference-app/src/features/key-exchange.ts). A TypeScript sealer module
// needs a loader: `NODE_OPTIONS='--import tsx' npx create-app-key …`.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { createAppVersionKey, type AppVersionsConfig, type SecretSealer } from '../index.js';

const usage =
  'usage: create-app-key --platform <ios|android> --version <x.y.z> --registry <file.json> --sealer-module <module>';

async function createAppKey(argv: readonly string[]): Promise<string> {
  if (argv.includes('--help') || argv.includes('-h')) return usage;
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
    throw new Error(usage);
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

// Always runs: npm links the bin as node_modules/.bin/create-app-key, so argv[1] names no file to recognise.
createAppKey(process.argv.slice(2)).then(
  (output) => process.stdout.write(output + '\n'),
  (error: unknown) => {
    process.stderr.write(`create-app-key: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  },
);
