import type { Feature } from './feature.js';

/** Mounts activity participation rules. Filled in by issue 8; until then the routes do not exist and guards stay closed. */
export const mountActivities: Feature = async () => {};
