import type { Feature } from './feature.js';

/** Mounts wallets. Filled in by issue 7; until then the routes do not exist and guards stay closed. */
export const mountWallets: Feature = async () => {};
