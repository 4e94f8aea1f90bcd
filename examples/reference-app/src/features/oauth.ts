import type { Feature } from './feature.js';

/** Mounts OAuth sign-in. Filled in by issue 9; until then the routes do not exist and guards stay closed. */
export const mountOAuth: Feature = async () => {};
