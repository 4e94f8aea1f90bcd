import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';

// A fresh PGlite runs initdb in WebAssembly: seconds of CPU on a quiet machine, tens of seconds on a loaded one,
// paid once per test file. Loading a data directory that initdb already produced skips that step (about a third
// of the time), so the first file to need PGlite keeps a copy of a freshly initialised one and every later file,
// in this run and the next, starts from it. The copy is keyed by PGlite's version (a new version may need a new
// data directory layout; its package.json is not exported, so the installed build's path and mtime stand in for
// the version) and by user (no file shared between accounts in /tmp).
const pgliteBuild = require.resolve('@electric-sql/pglite');
const buildKey = createHash('sha256')
  .update(`${pgliteBuild}:${statSync(pgliteBuild).mtimeMs}`)
  .digest('hex')
  .slice(0, 16);
const templateFile = join(tmpdir(), `shieldwall-pglite-${userInfo().uid}-${buildKey}.tar`);

/** A freshly initialised PGlite, its data directory kept as the template for the next ones. */
async function createAndKeepTemplate(): Promise<PGlite> {
  const fresh = await PGlite.create();
  const dump = await fresh.dumpDataDir('none');
  // Written under a unique name and renamed: a parallel worker never reads a half-written file.
  const partial = `${templateFile}.${randomBytes(4).toString('hex')}.partial`;
  writeFileSync(partial, Buffer.from(await dump.arrayBuffer()), { mode: 0o600 });
  renameSync(partial, templateFile);
  return fresh;
}

/** A new in-memory PGlite, started from an already initialised data directory when one is kept. */
export async function createPGlite(): Promise<PGlite> {
  if (!existsSync(templateFile)) return createAndKeepTemplate();
  try {
    return await PGlite.create({ loadDataDir: new Blob([readFileSync(templateFile)]) });
  } catch {
    // A damaged or incompatible copy: start the slow way, and replace the copy for the next file.
    return createAndKeepTemplate();
  }
}
