import { readFileSync } from 'node:fs';
import type { AppVersionsConfig } from '@shieldwall/key-exchange';
import type { Db } from './schema.js';
import { sqlAppVersions } from './app-versions.js';

export const appVersionsUsage = [
  'usage: app-versions list',
  '       app-versions set-minimum <platform> <version>   older builds get 426 upgrade_required',
  '       app-versions revoke <platform> <version>        withdraws one build',
  '       app-versions restore <platform> <version>       undoes a revoke',
  '       app-versions upgrade-url <platform> <url>       sent with 426',
  '       app-versions import <file>                      merges a registry JSON (create-app-key output)',
].join('\n');

const platformPattern = /^[a-z][a-z0-9_-]{0,31}$/;
const versionPattern = /^\d{1,6}(\.\d{1,6}){0,3}$/;

/** A refusal of the command line itself (exit 2 with the usage), not of the database. */
export class UsageError extends Error {}

/** What the registry says now, without the sealed keys: what `list` prints and every command answers. */
function summary(config: AppVersionsConfig) {
  return {
    versions: config.keys.map(({ platform, version, kid }) => ({ platform, version, kid })),
    minVersions: config.minVersions ?? {},
    revoked: config.revoked ?? {},
    upgradeUrls: config.upgradeUrls ?? {},
  };
}

/**
 * `pnpm app-versions <command>` on a database: each change is one statement, which every instance picks up within
 * APP_VERSIONS_REFRESH_MS, with no restart and no file to edit.
 */
export async function runAppVersionsCommand(db: Db, args: readonly string[], now: number) {
  const [command, first, second] = args;
  const store = sqlAppVersions(db);
  const platformAndVersion = (): [string, string] => {
    if (!first || !platformPattern.test(first) || !second || !versionPattern.test(second))
      throw new UsageError(
        `${command} needs a lower-case platform and a dotted version\n${appVersionsUsage}`,
      );
    return [first, second];
  };
  switch (command) {
    case 'list':
      break;
    case 'set-minimum':
      await store.setMinimum(...platformAndVersion(), now);
      break;
    case 'revoke':
      await store.revoke(...platformAndVersion(), now);
      break;
    case 'restore':
      await store.restore(...platformAndVersion());
      break;
    case 'upgrade-url': {
      if (!first || !platformPattern.test(first) || !second || !/^[a-z][a-z0-9+.-]*:\/\/\S+$/.test(second))
        throw new UsageError(`upgrade-url needs a platform and a URL\n${appVersionsUsage}`);
      await store.setUpgradeUrl(first, second, now);
      break;
    }
    case 'import': {
      if (!first) throw new UsageError(appVersionsUsage);
      await store.merge(JSON.parse(readFileSync(first, 'utf8')) as AppVersionsConfig, now);
      break;
    }
    default:
      throw new UsageError(appVersionsUsage);
  }
  return summary(await store.load());
}
