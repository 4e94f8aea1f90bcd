/** The package name every configuration error and log line carries. */
export const packageName = '@shieldwall/captcha-gate';
