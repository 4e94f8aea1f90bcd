import type { Feature } from './feature.js';

/** Mounts the CSP report endpoint. Filled in by issue 3; until then the routes do not exist and guards stay closed. */
export const mountCspReports: Feature = async () => {};
