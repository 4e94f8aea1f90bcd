import type { Feature } from './feature.js';

/** Mounts sign-up, sign-in, refresh, logout, password reset. Filled in by issue 5; until then the routes do not exist and guards stay closed. */
export const mountAuth: Feature = async () => {};
