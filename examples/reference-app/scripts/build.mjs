// The production build: one CommonJS file, dist/server.js, started with `node dist/server.js` (no tsx, no
// TypeScript at run time). Run from the app folder: `npm run build`.
import { copyFileSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const appDir = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(appDir, 'dist');

// Kept out of the bundle, loaded from node_modules at run time, because each reads files beside its own code:
// esbuild (a native binary: the pages bundle client/ at start), PGlite (its .wasm and .data files) and pg's
// optional native binding (never installed here; pg falls back to JavaScript). The key exchange's browser client
// is only located (require.resolve) and bundled for the browser at run time, never loaded by the server.
const external = ['esbuild', '@electric-sql/pglite', 'pg-native', '@shieldwall/key-exchange/client'];

rmSync(dist, { recursive: true, force: true });
await build({
  entryPoints: [join(appDir, 'src', 'server.ts')],
  outfile: join(dist, 'server.js'),
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  sourcemap: true,
  external,
  legalComments: 'linked',
  logLevel: 'warning',
});

// @shieldwall/passwords hashes in worker threads that require bcryptjs by the path its main module resolves from
// its own file; bundled, that file is dist/server.js, so bcryptjs is vendored as dist/node_modules/bcryptjs.
const fromPasswords = createRequire(
  createRequire(join(appDir, 'package.json')).resolve('@shieldwall/passwords/package.json'),
);
const bcryptDir = join(dist, 'node_modules', 'bcryptjs');
mkdirSync(bcryptDir, { recursive: true });
copyFileSync(fromPasswords.resolve('bcryptjs'), join(bcryptDir, 'index.js'));
// bcryptjs's CommonJS build is umd/index.js; its licence sits one folder up.
copyFileSync(join(dirname(fromPasswords.resolve('bcryptjs')), '..', 'LICENSE'), join(bcryptDir, 'LICENSE'));
writeFileSync(
  join(bcryptDir, 'package.json'),
  JSON.stringify({ name: 'bcryptjs', private: true, main: 'index.js' }, null, 2) + '\n',
);
console.log(`built ${join('dist', 'server.js')}`);
