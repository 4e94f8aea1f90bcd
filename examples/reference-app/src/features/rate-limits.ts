import type { Feature } from './feature.js';

/** Mounts rate limits. Filled in by issue 4; until then the routes do not exist and guards stay closed. */
export const mountRateLimits: Feature = async () => {};
