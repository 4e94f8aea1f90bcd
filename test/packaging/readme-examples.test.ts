import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { inBatches, installLine, npmProject } from './npm-project';
import type { PackedPackage } from './pack-all';
import { packedOnce, sharedWork } from './packed-once';

// README examples are tests. Each package's main example is a file (packages/<name>/examples/app.mjs) that its
// README holds verbatim under a marker; here the tarballs and everything the install lines name are installed
// with npm into one fresh project outside the workspace, and each example runs with node on a free port (PORT),
// as ESM and, rewritten to require(), as CommonJS, and answers one request as documented.

const marker =
  '<!-- examples/app.mjs (the packaging test runs it and checks that this block equals the file) -->';
const work = join(sharedWork, 'readme-examples');

interface Check {
  method?: string;
  path: string;
  headers?: Record<string, string>;
  body?: string;
  status: number;
  /** What the answer must hold besides its status. */
  expectAnswer(body: string, headers: Headers): void;
}

const json = { 'content-type': 'application/json' };
const code = (expected: string) => (body: string) =>
  expect((JSON.parse(body) as { error?: { code?: string } }).error?.code).toBe(expected);

const checks: Record<string, Check> = {
  '@shieldwall/captcha-gate': {
    method: 'POST',
    path: '/api/register',
    headers: json,
    body: '{"email":"a@example.com"}',
    status: 403,
    expectAnswer: code('verification_required'),
  },
  '@shieldwall/core': { path: '/api/things/2', status: 404, expectAnswer: code('thing_not_found') },
  '@shieldwall/csp-reporter': {
    method: 'POST',
    path: '/api/csp-report-endpoint?version=5',
    headers: { 'content-type': 'application/csp-report' },
    body: JSON.stringify({
      'csp-report': {
        'document-uri': 'https://app.example.com/',
        'violated-directive': 'script-src',
        'effective-directive': 'script-src',
        'blocked-uri': 'inline',
        'original-policy': "default-src 'self'",
      },
    }),
    status: 204,
    expectAnswer: (_body, headers) => expect(headers.get('content-security-policy')).toMatch(/report-uri/),
  },
  '@shieldwall/headers': {
    path: '/',
    status: 200,
    expectAnswer: (body, headers) => {
      const nonce = /'nonce-([^']+)'/.exec(headers.get('content-security-policy') ?? '')?.[1];
      expect(body).toContain(`nonce="${nonce}"`);
      expect(headers.get('x-frame-options')).toBe('SAMEORIGIN');
    },
  },
  '@shieldwall/jwt-cookies': {
    method: 'POST',
    path: '/api/auth/login',
    headers: json,
    body: '{"user":"demo"}',
    status: 200,
    expectAnswer: (_body, headers) =>
      expect(headers.getSetCookie().map((c) => c.split('=')[0])).toEqual(['at', 'rt']),
  },
  '@shieldwall/key-exchange': {
    path: '/',
    status: 200,
    expectAnswer: (body) => expect(body).toMatch(/<meta name="csrf-token" content="[^"]+">/),
  },
  '@shieldwall/oauth-providers': {
    path: '/api/auth/oauth/github',
    status: 302,
    expectAnswer: (_body, headers) =>
      expect(headers.get('location')).toMatch(
        /^https:\/\/github\.com\/login\/oauth\/authorize\?.*code_challenge_method=S256/,
      ),
  },
  '@shieldwall/passwords': {
    method: 'POST',
    path: '/api/register',
    headers: json,
    body: '{"email":"a@example.com","password":"short"}',
    status: 400,
    expectAnswer: code('password_too_short'),
  },
  '@shieldwall/rate-limits': {
    path: '/api/hello',
    status: 200,
    expectAnswer: (body, headers) => {
      expect(JSON.parse(body)).toEqual({ hello: 'world' });
      expect(headers.get('ratelimit')).toMatch(/remaining=\d+/);
    },
  },
  '@shieldwall/request-guard': {
    method: 'POST',
    path: '/api/things',
    headers: { 'content-type': 'text/plain' },
    body: 'hello',
    status: 415,
    expectAnswer: code('unsupported_media_type'),
  },
  '@shieldwall/wallet-crypto': {
    method: 'POST',
    path: '/api/wallets',
    status: 201,
    expectAnswer: (body) => expect((JSON.parse(body) as { sealed: string }).sealed).toMatch(/^swe1\.k1\./),
  },
};

/** The README's block under the marker. */
function readmeExample(readme: string): string | undefined {
  const at = readme.indexOf(marker);
  if (at === -1) return undefined;
  return /```js\n([\s\S]*?)```/.exec(readme.slice(at))?.[1];
}

// Top-level await (its README says so): ESM only.
const esmOnly = new Set(['@shieldwall/rate-limits']);

/** The same program as CommonJS: every `import … from '…'` becomes a `require`. */
const asCommonJs = (esm: string): string =>
  esm.replace(
    /^import (?:(\w+)|\{([^}]+)\}) from '([^']+)';$/gm,
    (_all, name: string | undefined, names: string | undefined, from: string) =>
      `const ${name ?? `{${names!.replace(/\s+as\s+/g, ': ')}}`} = require('${from}');`,
  );

/** Bare package names an example imports (not node: builtins). */
const importedPackages = (source: string): string[] =>
  [...source.matchAll(/from '((?:@[\w-]+\/)?[\w.-]+)[^']*'/g)]
    .map((m) => m[1]!)
    .filter((name) => !name.startsWith('node'));

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

/** Runs `file` in `dir` on a free port until it answers, sends the check's request, and stops it. */
async function runExample(dir: string, file: string, check: Check) {
  const port = await freePort();
  const child: ChildProcess = spawn(process.execPath, [file], {
    cwd: dir,
    env: { ...process.env, PORT: String(port), NODE_ENV: 'development' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  try {
    const deadline = Date.now() + 30_000;
    while (!output.includes(`localhost:${port}`)) {
      if (child.exitCode !== null) throw new Error(`${file} exited ${child.exitCode}:\n${output}`);
      if (Date.now() > deadline) throw new Error(`${file} did not start within 30 s:\n${output}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const response = await fetch(`http://127.0.0.1:${port}${check.path}`, {
      method: check.method ?? 'GET',
      headers: check.headers,
      body: check.body,
      redirect: 'manual',
    });
    const body = await response.text();
    return { status: response.status, body, headers: response.headers, output };
  } finally {
    child.kill();
    await exited;
  }
}

describe('README examples, run from the packed tarballs', () => {
  let packed: PackedPackage[] = [];

  beforeAll(async () => {
    packed = await packedOnce();
    const names = new Set<string>();
    for (const { dir } of packed) {
      for (const name of installLine(readFileSync(join(dir, 'README.md'), 'utf8'))) names.add(name);
    }
    const started = Date.now();
    await npmProject(work, [...names].sort(), packed);
    process.stderr.write(
      `packaging: README examples' project (${[...names].join(' ')}) installed in ${Math.round((Date.now() - started) / 1000)}s\n`,
    );
  }, 600_000);

  it('has an example file and a check for every public package', () => {
    const missing = packed
      .filter(({ name, dir }) => !existsSync(join(dir, 'examples', 'app.mjs')) || !checks[name])
      .map(({ name }) => name);
    expect(missing).toEqual([]);
  });

  it('keeps each README block equal to its example file, with every import on the install line', () => {
    for (const { name, dir } of packed) {
      const readme = readFileSync(join(dir, 'README.md'), 'utf8');
      const file = readFileSync(join(dir, 'examples', 'app.mjs'), 'utf8');
      expect({ name, block: readmeExample(readme) }).toEqual({ name, block: file });
      const line = installLine(readme);
      expect({ name, notInstalled: importedPackages(file).filter((p) => !line.includes(p)) }).toEqual({
        name,
        notInstalled: [],
      });
    }
  });

  it('runs every example as ESM and CommonJS and gets the documented answer', async () => {
    const runs = packed.flatMap(({ name, dir }) => {
      const esm = readFileSync(join(dir, 'examples', 'app.mjs'), 'utf8');
      const base = name.replace('@shieldwall/', '');
      writeFileSync(join(work, `${base}.mjs`), esm);
      if (esmOnly.has(name)) return [{ name, file: `${base}.mjs` }];
      writeFileSync(join(work, `${base}.cjs`), asCommonJs(esm));
      return [
        { name, file: `${base}.mjs` },
        { name, file: `${base}.cjs` },
      ];
    });
    const results: Array<Awaited<ReturnType<typeof runExample>> & { file: string; check: Check }> = [];
    await inBatches(runs, 4, async ({ name, file }) => {
      const check = checks[name]!;
      results.push({ ...(await runExample(work, file, check)), file, check });
    });
    process.stderr.write(
      `packaging: ran ${results.length} README examples (rate-limits ${process.env.REDIS_URL ? 'on Redis at REDIS_URL' : 'in memory: REDIS_URL is not set'})\n`,
    );
    for (const { file, status, body, headers, output, check } of results) {
      expect({ file, status, output: status === check.status ? '' : output + body }).toEqual({
        file,
        status: check.status,
        output: '',
      });
      check.expectAnswer(body, headers);
    }
  }, 120_000);
});
