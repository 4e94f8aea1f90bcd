const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Ids reach us from URLs and token claims: anything not a UUID names no row (and is no SQL cast error). */
export const isUuid = (value: string): boolean => uuid.test(value);
