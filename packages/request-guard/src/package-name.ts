/** The name every start-up error of this package carries. */
export const packageName = '@shieldwall/request-guard';
