export {
  redisUrl,
  describeWithRedis,
  connectRedis,
  uniquePrefix,
  type ConnectedRedis,
  type RedisClient,
} from './redis.js';
export { startSpareRedis, freePort, type SpareRedis } from './redis-server.js';
export { startRedisCluster, type RedisCluster, type ClusterNode } from './redis-cluster.js';
export { listen, type RunningServer } from './http.js';
export { chromiumPath, hasChromium, describeWithChromium, launchChromium } from './browser.js';
export {
  recordingStore,
  type RecordableStore,
  type RecordingStore,
  type StoreChange,
  type StoreOperation,
} from './recording-store.js';
