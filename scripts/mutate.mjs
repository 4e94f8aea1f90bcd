#!/usr/bin/env node
// `pnpm mutate [module ...] [--force]`: StrykerJS over the security-critical modules, one module at a time (a whole
// run at once would not fit a busy machine), each against its own package's tests and with its own incremental
// file under reports/mutation/, so a second run only mutates what changed since the last. `--force` re-runs every
// mutant (the weekly full run). Not part of `.ci/run`. See docs/contributing.md.
import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/** name -> the files mutated and the tests run against them (the package's own suite, where the refusals live). */
export const modules = {
  'jwt-cookies/tokens': {
    mutate: ['packages/jwt-cookies/src/tokens.ts', 'packages/jwt-cookies/src/hs256.ts'],
  },
  'jwt-cookies/families': { mutate: ['packages/jwt-cookies/src/families.ts'] },
  'key-exchange/csrf': { mutate: ['packages/key-exchange/src/csrf.ts'] },
  'key-exchange/envelope': {
    mutate: ['packages/key-exchange/src/envelope.ts', 'packages/key-exchange/src/channel.ts'],
  },
  'key-exchange/session-key': { mutate: ['packages/key-exchange/src/session-key.ts'] },
  'rate-limits/refusal': { mutate: ['packages/rate-limits/src/refusal.ts'] },
  'csp-reporter/caps': {
    mutate: ['packages/csp-reporter/src/body.ts', 'packages/csp-reporter/src/reporter.ts'],
  },
  'oauth-providers/flow-cookie': { mutate: ['packages/oauth-providers/src/flow-cookie.ts'] },
  'passwords/policy': { mutate: ['packages/passwords/src/policy.ts', 'packages/passwords/src/passwords.ts'] },
  'wallet-crypto/sealer': {
    mutate: ['packages/wallet-crypto/src/sealer.ts', 'packages/wallet-crypto/src/leak-guard.ts'],
  },
  'captcha-gate/gate': { mutate: ['packages/captcha-gate/src/gate.ts'] },
};

const args = process.argv.slice(2);
const force = args.includes('--force');
const names = args.filter((a) => !a.startsWith('--'));
const unknown = names.filter((n) => !(n in modules));
if (unknown.length > 0) {
  console.error(`unknown module ${unknown.join(', ')}; pick from:\n  ${Object.keys(modules).join('\n  ')}`);
  process.exit(2);
}

let failed = 0;
for (const name of names.length > 0 ? names : Object.keys(modules)) {
  const { mutate } = modules[name];
  const slug = name.replace('/', '-');
  const pkg = mutate[0].split('/').slice(0, 2).join('/');
  mkdirSync(join(root, 'reports/mutation'), { recursive: true });
  console.log(`\n== ${name}: ${mutate.join(', ')}`);
  const result = spawnSync(
    process.execPath,
    [
      join(root, 'node_modules/@stryker-mutator/core/bin/stryker.js'),
      'run',
      '--mutate',
      mutate.join(','),
      '--incrementalFile',
      `reports/mutation/${slug}.incremental.json`,
      ...(force ? ['--force'] : []),
    ],
    {
      cwd: root,
      stdio: 'inherit',
      env: { ...process.env, STRYKER_TESTS: `${pkg}/test`, STRYKER_REPORT: `reports/mutation/${slug}` },
    },
  );
  if (result.status !== 0) failed += 1;
}
process.exit(failed === 0 ? 0 : 1);
