import { createPrivateKey, generateKeyPair, randomBytes, type KeyObject } from 'node:crypto';
import { promisify } from 'node:util';
import type { PublicJwk } from './jwk.js';
import { checkOptionNames, configError } from '@shieldwall/core';
import { packageName } from './errors.js';
import type { SecretSealer } from './sealer.js';

const generateRsa = promisify(generateKeyPair);
export const appKeyPurpose = 'key-exchange/app-key';

/** One app build's key: the public half is embedded in the app, the private half stays sealed on the server. */
export interface AppVersionKey {
  /** For example `ios` or `android`. */
  platform: string;
  /** Dotted numbers, for example `2.4.0`. */
  version: string;
  kid: string;
  publicJwk: PublicJwk;
  /** The PKCS#8 private key sealed by a `SecretSealer` with context `{ purpose: 'key-exchange/app-key', kid }`. */
  privateKey: string;
}

/** The mobile registry (MOBILE_APP_KEYS_FILE in the reference app has this shape as JSON). */
export interface AppVersionsConfig {
  keys: readonly AppVersionKey[];
  /** Lowest supported version per platform; older versions get 426 `upgrade_required`. */
  minVersions?: Readonly<Record<string, string>>;
  /** Versions withdrawn individually (for example a build with a bug), per platform. */
  revoked?: Readonly<Record<string, readonly string[]>>;
  /** Where each platform's users update the app; sent as `upgradeUrl` with 426. */
  upgradeUrls?: Readonly<Record<string, string>>;
}

export type AppVersionStatus =
  | { status: 'ok'; key: AppVersionKey }
  | { status: 'unknown' }
  | { status: 'retired'; minVersion: string; upgradeUrl: string | undefined };

export interface AppVersionRegistry {
  check(platform: string, version: string): AppVersionStatus;
  privateKey(kid: string): Promise<KeyObject | undefined>;
}

const versionPattern = /^\d{1,6}(\.\d{1,6}){0,3}$/;
const platformPattern = /^[a-z][a-z0-9_-]{0,31}$/;

/** Compares dotted numeric versions: negative when a < b. */
export function compareVersions(a: string, b: string): number {
  const x = a.split('.').map(Number);
  const y = b.split('.').map(Number);
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    const d = (x[i] ?? 0) - (y[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

function bad(option: string, value: unknown, fix: string): Error {
  return configError(packageName, option, value, fix);
}

export function createAppVersionRegistry(
  config: AppVersionsConfig,
  sealer: SecretSealer,
): AppVersionRegistry {
  checkOptionNames<AppVersionsConfig>(packageName, 'keyExchange({ appVersions })', config, {
    keys: true,
    minVersions: true,
    revoked: true,
    upgradeUrls: true,
  });
  if (typeof config !== 'object' || config === null || !Array.isArray(config.keys)) {
    throw bad('appVersions', config, 'pass { keys: AppVersionKey[], minVersions?, revoked?, upgradeUrls? }.');
  }
  const byVersion = new Map<string, AppVersionKey>();
  const byKid = new Map<string, AppVersionKey>();
  const entries: readonly AppVersionKey[] = config.keys;
  for (const key of entries) {
    if (
      !platformPattern.test(String(key.platform)) ||
      !versionPattern.test(String(key.version)) ||
      typeof key.kid !== 'string' ||
      typeof key.privateKey !== 'string' ||
      byKid.has(key.kid)
    ) {
      throw bad(
        'appVersions.keys',
        { platform: key.platform, version: key.version, kid: key.kid },
        'each entry needs a lower-case platform, a dotted numeric version, a unique kid and a sealed privateKey (create them with createAppVersionKey).',
      );
    }
    byVersion.set(`${key.platform} ${key.version}`, key);
    byKid.set(key.kid, key);
  }
  const minVersions = { ...config.minVersions };
  for (const [platform, version] of Object.entries(minVersions)) {
    if (!versionPattern.test(version))
      throw bad(`appVersions.minVersions.${platform}`, version, 'pass a dotted numeric version.');
  }
  const revoked = new Set<string>();
  for (const [platform, versions] of Object.entries(config.revoked ?? {})) {
    for (const version of versions) revoked.add(`${platform} ${version}`);
  }
  const upgradeUrls = { ...config.upgradeUrls };
  const opened = new Map<string, Promise<KeyObject>>();

  const isRetired = (platform: string, version: string): boolean => {
    const min = minVersions[platform];
    return revoked.has(`${platform} ${version}`) || (min !== undefined && compareVersions(version, min) < 0);
  };

  /** The lowest registered version a retired one should move to (at least the platform minimum). */
  function nextSupported(platform: string, version: string): string {
    const candidates = [...byVersion.values()]
      .filter((k) => k.platform === platform && compareVersions(k.version, version) > 0)
      .filter((k) => !isRetired(platform, k.version))
      .map((k) => k.version)
      .sort(compareVersions);
    return candidates[0] ?? minVersions[platform] ?? version;
  }

  return {
    check(platform, version) {
      if (!platformPattern.test(platform) || !versionPattern.test(version)) return { status: 'unknown' };
      const key = byVersion.get(`${platform} ${version}`);
      if (!key) return { status: 'unknown' };
      if (isRetired(platform, version)) {
        return {
          status: 'retired',
          minVersion: nextSupported(platform, version),
          upgradeUrl: upgradeUrls[platform],
        };
      }
      return { status: 'ok', key };
    },
    privateKey(kid) {
      const entry = byKid.get(kid);
      if (!entry) return Promise.resolve(undefined);
      let key = opened.get(kid);
      if (!key) {
        key = sealer
          .open(entry.privateKey, { purpose: appKeyPurpose, kid })
          .then((der) => createPrivateKey({ key: Buffer.from(der), format: 'der', type: 'pkcs8' }));
        key.catch(() => opened.delete(kid));
        opened.set(kid, key);
      }
      return key;
    },
  };
}

/**
 * Creates the key pair for a new app version: embed `publicJwk` in the build, add `entry` to the registry.
 * The private key leaves this function only sealed.
 */
export async function createAppVersionKey(options: {
  platform: string;
  version: string;
  sealer: SecretSealer;
  modulusLength?: number;
}): Promise<{ entry: AppVersionKey; publicJwk: PublicJwk }> {
  const { platform, version, sealer } = options;
  if (!platformPattern.test(platform))
    throw bad('platform', platform, 'pass a lower-case name such as "ios".');
  if (!versionPattern.test(version))
    throw bad('version', version, 'pass a dotted numeric version such as "2.4.0".');
  const modulusLength = options.modulusLength ?? 2048;
  if (!Number.isSafeInteger(modulusLength) || modulusLength < 2048) {
    throw bad('modulusLength', modulusLength, 'pass 2048 or more.');
  }
  const kid = `a-${platform}-${version}-${randomBytes(6).toString('base64url')}`;
  const { publicKey, privateKey } = await generateRsa('rsa', { modulusLength });
  const der = privateKey.export({ type: 'pkcs8', format: 'der' });
  const publicJwk: PublicJwk = {
    ...(publicKey.export({ format: 'jwk' }) as PublicJwk),
    kid,
    alg: 'RSA-OAEP-256',
    use: 'enc',
  };
  return {
    publicJwk,
    entry: {
      platform,
      version,
      kid,
      publicJwk,
      privateKey: await sealer.seal(new Uint8Array(der), { purpose: appKeyPurpose, kid }),
    },
  };
}
