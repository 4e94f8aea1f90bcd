import {
  compareVersions,
  type AppVersionKey,
  type AppVersionsConfig,
  type PublicJwk,
} from '@shieldwall/key-exchange';
import type { Db } from './schema.js';
import { kekIdOf } from './sealed.js';

/** The mobile app-version registry's rows (migration 0004): what every instance builds its registry from. */
export interface AppVersionStore {
  /** Everything, in the shape `createAppVersionRegistry` takes. */
  load(): Promise<AppVersionsConfig>;
  /** Registers a build's key (from `createAppVersionKey`); false when the kid or the platform's version exists. */
  addKey(entry: AppVersionKey, at: number): Promise<boolean>;
  /** The lowest supported version of a platform; older builds get 426 upgrade_required. */
  setMinimum(platform: string, version: string, at: number): Promise<void>;
  setUpgradeUrl(platform: string, url: string, at: number): Promise<void>;
  /** Withdraws one version (a build with a bug); restore() undoes it. */
  revoke(platform: string, version: string, at: number): Promise<void>;
  restore(platform: string, version: string): Promise<void>;
  /**
   * Merges a MOBILE_APP_KEYS_FILE registry in without ever loosening what the table says: keys not yet known are
   * added, revocations added, a minimum only raised, an upgrade URL only set where none is. So a restart with the
   * old file never undoes a forced upgrade made with the CLI.
   */
  merge(config: AppVersionsConfig, at: number): Promise<void>;
}

export function sqlAppVersions(db: Db): AppVersionStore {
  const store: AppVersionStore = {
    async load() {
      const [keys, platforms, revocations] = await Promise.all([
        db.selectFrom('app_version_keys').selectAll().orderBy('platform').orderBy('kid').execute(),
        db.selectFrom('app_platforms').selectAll().orderBy('platform').execute(),
        db.selectFrom('app_version_revocations').selectAll().orderBy('platform').orderBy('version').execute(),
      ]);
      const minVersions: Record<string, string> = {};
      const upgradeUrls: Record<string, string> = {};
      for (const row of platforms) {
        if (row.min_version !== null) minVersions[row.platform] = row.min_version;
        if (row.upgrade_url !== null) upgradeUrls[row.platform] = row.upgrade_url;
      }
      const revoked: Record<string, string[]> = {};
      for (const row of revocations) (revoked[row.platform] ??= []).push(row.version);
      return {
        keys: keys.map((row) => ({
          platform: row.platform,
          version: row.version,
          kid: row.kid,
          publicJwk: (typeof row.public_jwk === 'string'
            ? JSON.parse(row.public_jwk)
            : row.public_jwk) as PublicJwk,
          privateKey: row.sealed_private_key,
        })),
        minVersions,
        revoked,
        upgradeUrls,
      };
    },
    async addKey(entry, at) {
      const inserted = await db
        .insertInto('app_version_keys')
        .values({
          kid: entry.kid,
          platform: entry.platform,
          version: entry.version,
          public_jwk: JSON.stringify(entry.publicJwk),
          sealed_private_key: entry.privateKey,
          kek_id: kekIdOf(entry.privateKey),
          created_at: new Date(at),
        })
        .onConflict((conflict) => conflict.doNothing())
        .returning('kid')
        .executeTakeFirst();
      return inserted !== undefined;
    },
    async setMinimum(platform, version, at) {
      await db
        .insertInto('app_platforms')
        .values({ platform, min_version: version, updated_at: new Date(at) })
        .onConflict((conflict) =>
          conflict.column('platform').doUpdateSet({ min_version: version, updated_at: new Date(at) }),
        )
        .execute();
    },
    async setUpgradeUrl(platform, url, at) {
      await db
        .insertInto('app_platforms')
        .values({ platform, upgrade_url: url, updated_at: new Date(at) })
        .onConflict((conflict) =>
          conflict.column('platform').doUpdateSet({ upgrade_url: url, updated_at: new Date(at) }),
        )
        .execute();
    },
    async revoke(platform, version, at) {
      await db
        .insertInto('app_version_revocations')
        .values({ platform, version, revoked_at: new Date(at) })
        .onConflict((conflict) => conflict.columns(['platform', 'version']).doNothing())
        .execute();
    },
    async restore(platform, version) {
      await db
        .deleteFrom('app_version_revocations')
        .where('platform', '=', platform)
        .where('version', '=', version)
        .execute();
    },
    async merge(config, at) {
      const current = await store.load();
      for (const key of config.keys) await store.addKey(key, at);
      for (const [platform, versions] of Object.entries(config.revoked ?? {}))
        for (const version of versions) await store.revoke(platform, version, at);
      for (const [platform, version] of Object.entries(config.minVersions ?? {})) {
        const now = current.minVersions?.[platform];
        if (now === undefined || compareVersions(version, now) > 0)
          await store.setMinimum(platform, version, at);
      }
      for (const [platform, url] of Object.entries(config.upgradeUrls ?? {}))
        if (current.upgradeUrls?.[platform] === undefined) await store.setUpgradeUrl(platform, url, at);
    },
  };
  return store;
}
