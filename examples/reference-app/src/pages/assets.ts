import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Express } from 'express';

/** The browser modules under `client/`, one bundle per page. */
export const clientEntries = [
  'home',
  'signup',
  'signin',
  'verify-email',
  'reset-password',
  'account',
] as const;
export type ClientEntry = (typeof clientEntries)[number];

export interface Asset {
  /** `/assets/<name>.<content hash>.<ext>`: a new name whenever the content changes, so it can be cached for ever. */
  path: string;
  /** Subresource Integrity: `sha384-<base64>`. */
  integrity: string;
  type: string;
  body: Buffer;
}

export interface Assets {
  script(name: ClientEntry): Asset;
  style: Asset;
}

/**
 * `client/` beside `src/`. From the sources (tsx, jest) this file is src/pages/assets.ts; in the production build
 * (scripts/build.mjs) it is bundled into dist/server.js, one folder less deep.
 */
export const clientDir =
  [path.resolve(__dirname, '..', '..', 'client'), path.resolve(__dirname, '..', 'client')].find((dir) =>
    existsSync(path.join(dir, 'app.css')),
  ) ?? path.resolve(__dirname, '..', '..', 'client');

function asset(name: string, ext: string, type: string, body: Buffer): Asset {
  const hash = createHash('sha256').update(body).digest('hex').slice(0, 16);
  return {
    path: `/assets/${name}.${hash}.${ext}`,
    integrity: `sha384-${createHash('sha384').update(body).digest('base64')}`,
    type,
    body,
  };
}

async function build(): Promise<Assets> {
  const esbuild = await import('esbuild');
  const result = await esbuild.build({
    entryPoints: clientEntries.map((name) => path.join(clientDir, `${name}.ts`)),
    bundle: true,
    write: false,
    outdir: '/bundles',
    format: 'iife',
    platform: 'browser',
    target: 'es2022',
    minify: true,
    legalComments: 'none',
    logLevel: 'silent',
  });
  const scripts = new Map<string, Asset>();
  for (const file of result.outputFiles) {
    const name = path.basename(file.path, '.js');
    scripts.set(name, asset(name, 'js', 'text/javascript; charset=utf-8', Buffer.from(file.contents)));
  }
  const css = await readFile(path.join(clientDir, 'app.css'));
  return {
    script(name) {
      const found = scripts.get(name);
      if (!found) throw new Error(`no client bundle named ${name}`);
      return found;
    },
    style: asset('app', 'css', 'text/css; charset=utf-8', css),
  };
}

let built: Promise<Assets> | undefined;

/** Bundles the client modules once per process (esbuild, well under a second), at start rather than on a request. */
export function loadAssets(): Promise<Assets> {
  built ??= build();
  built.catch(() => {
    built = undefined;
  });
  return built;
}

/** Serves each asset under its content-hash name, immutable for a year; any other `/assets/` name falls through. */
export function serveAssets(app: Express, assets: Assets): void {
  const byPath = new Map<string, Asset>(
    [...clientEntries.map((name) => assets.script(name)), assets.style].map((a) => [a.path, a]),
  );
  app.get('/assets/:file', (req, res, next) => {
    const found = byPath.get(req.path);
    if (!found) return next();
    res.setHeader('Content-Type', found.type);
    res.setHeader('Cache-Control', 'public, max-age=31536000, immutable');
    res.send(found.body);
  });
}
