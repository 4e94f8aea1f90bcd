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

/**
 * name -> the files mutated and the test files run against them: the package's suites where the module's refusals
 * live (not the whole package: every mutant runs its covering tests, and fewer files keep the run short).
 */
export const modules = {
  'jwt-cookies/tokens': {
    mutate: ['packages/jwt-cookies/src/tokens.ts', 'packages/jwt-cookies/src/hs256.ts'],
    tests: [
      'packages/jwt-cookies/test/tokens.test.ts',
      'packages/jwt-cookies/test/codec.test.ts',
      'packages/jwt-cookies/test/hs256-differential.test.ts',
      'packages/jwt-cookies/test/refusals.test.ts',
    ],
  },
  'jwt-cookies/families': {
    mutate: ['packages/jwt-cookies/src/families.ts'],
    tests: [
      'packages/jwt-cookies/test/refresh.test.ts',
      'packages/jwt-cookies/test/revocation.test.ts',
      'packages/jwt-cookies/test/refusals.test.ts',
    ],
  },
  'key-exchange/csrf': {
    mutate: ['packages/key-exchange/src/csrf.ts'],
    tests: [
      'packages/key-exchange/test/csrf.test.ts',
      'packages/key-exchange/test/handshake.test.ts',
      'packages/key-exchange/test/channels.test.ts',
      'packages/key-exchange/test/refusals.test.ts',
      'packages/key-exchange/test/strictness.test.ts',
    ],
  },
  'key-exchange/envelope': {
    mutate: ['packages/key-exchange/src/envelope.ts', 'packages/key-exchange/src/channel.ts'],
    tests: [
      'packages/key-exchange/test/envelope.test.ts',
      'packages/key-exchange/test/channel-edges.test.ts',
      'packages/key-exchange/test/peek-header.test.ts',
      'packages/key-exchange/test/handshake.test.ts',
      'packages/key-exchange/test/channels.test.ts',
      'packages/key-exchange/test/refusals.test.ts',
      'packages/key-exchange/test/strictness.test.ts',
      'packages/key-exchange/test/response-binding.test.ts',
    ],
  },
  'key-exchange/session-key': {
    mutate: ['packages/key-exchange/src/session-key.ts'],
    tests: [
      'packages/key-exchange/test/session-key.test.ts',
      'packages/key-exchange/test/handshake.test.ts',
      'packages/key-exchange/test/refusals.test.ts',
      'packages/key-exchange/test/rotation.test.ts',
    ],
  },
  'rate-limits/refusal': {
    mutate: ['packages/rate-limits/src/refusal.ts'],
    tests: [
      'packages/rate-limits/test/refusals.test.ts',
      'packages/rate-limits/test/limits.test.ts',
      'packages/rate-limits/test/challenge.test.ts',
    ],
  },
  'csp-reporter/caps': {
    mutate: ['packages/csp-reporter/src/body.ts', 'packages/csp-reporter/src/reporter.ts'],
    tests: [
      'packages/csp-reporter/test/reporter.test.ts',
      'packages/csp-reporter/test/edges.test.ts',
      'packages/csp-reporter/test/option-names.test.ts',
    ],
  },
  'oauth-providers/flow-cookie': {
    mutate: ['packages/oauth-providers/src/flow-cookie.ts'],
    tests: [
      'packages/oauth-providers/test/flow-cookie.test.ts',
      'packages/oauth-providers/test/oauth-flow.test.ts',
      'packages/oauth-providers/test/oidc.test.ts',
    ],
  },
  'passwords/policy': {
    mutate: ['packages/passwords/src/policy.ts', 'packages/passwords/src/passwords.ts'],
    tests: ['packages/passwords/test/passwords.test.ts', 'packages/passwords/test/option-names.test.ts'],
  },
  'wallet-crypto/sealer': {
    mutate: ['packages/wallet-crypto/src/sealer.ts', 'packages/wallet-crypto/src/leak-guard.ts'],
    tests: [
      'packages/wallet-crypto/test/sealer.test.ts',
      'packages/wallet-crypto/test/kek-provider.test.ts',
      'packages/wallet-crypto/test/option-names.test.ts',
      'packages/wallet-crypto/test/leak-guard.test.ts',
      'packages/wallet-crypto/test/rotate.test.ts',
      'packages/wallet-crypto/test/zeroing.test.ts',
    ],
  },
  'captcha-gate/gate': {
    mutate: ['packages/captcha-gate/src/gate.ts'],
    tests: [
      'packages/captcha-gate/test/gate.test.ts',
      'packages/captcha-gate/test/gate-edges.test.ts',
      'packages/captcha-gate/test/answers-by-itself.test.ts',
      'packages/captcha-gate/test/option-names.test.ts',
    ],
  },
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
  const { mutate, tests } = modules[name];
  const slug = name.replace('/', '-');
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
      env: { ...process.env, STRYKER_TESTS: tests.join(','), STRYKER_REPORT: `reports/mutation/${slug}` },
    },
  );
  if (result.status !== 0) failed += 1;
}
process.exit(failed === 0 ? 0 : 1);
