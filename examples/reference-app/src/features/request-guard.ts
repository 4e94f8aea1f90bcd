import type { Feature } from './feature.js';

/** Mounts the request guard (HTTPS redirect, client IP, CORS, body limits). Filled in by issue 2. */
export const mountRequestGuard: Feature = async () => {};
