import { list, type Env, type Problems } from './parse.js';

export interface RedisConfig {
  /** Seed nodes: one server, or any of a cluster's nodes. */
  urls: string[];
  cluster: boolean;
}

const switches: Record<string, boolean> = { '1': true, true: true, '0': false, false: false, '': false };

/**
 * REDIS_URL: one `redis://` (or `rediss://`) URL, or a comma list of a Redis Cluster's seed nodes.
 * REDIS_CLUSTER=1 treats a single URL as a cluster seed too.
 */
export function redisConfig(env: Env, problems: Problems): { redis?: RedisConfig } {
  const urls = list(env.REDIS_URL);
  const flag = switches[(env.REDIS_CLUSTER ?? '').toLowerCase()];
  if (flag === undefined) problems.add('REDIS_CLUSTER must be 1 or 0');
  if (urls.length === 0) {
    if (flag) problems.add('REDIS_CLUSTER=1 needs REDIS_URL (one or more seed nodes)');
    return {};
  }
  for (const url of urls) {
    let protocol: string | undefined;
    try {
      protocol = new URL(url).protocol;
    } catch {
      protocol = undefined;
    }
    if (protocol !== 'redis:' && protocol !== 'rediss:') {
      problems.add(
        "REDIS_URL must be redis:// or rediss:// URLs, comma-separated for a cluster's seed nodes",
      );
      return {};
    }
  }
  return { redis: { urls, cluster: urls.length > 1 || flag === true } };
}
