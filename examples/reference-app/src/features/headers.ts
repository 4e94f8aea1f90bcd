import type { Feature } from './feature.js';

/** Mounts the security headers and CSP. Filled in by issue 2. */
export const mountHeaders: Feature = async () => {};
