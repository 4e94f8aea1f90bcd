import { readCapped, type TransportOptions } from '../transport.js';

export interface JsonReply {
  status: number;
  /** The parsed body, or undefined when it was not JSON. */
  json: unknown;
}

const maxBytes = 1024 * 1024;

/**
 * One call to the provider through the injected fetch: a timeout, a 1 MB cap, redirects not followed. Rejects
 * only when no answer arrived (network, timeout, size); an HTTP error status resolves, for the caller to judge.
 */
export async function fetchJson(
  transport: TransportOptions,
  url: string,
  init: { method?: 'GET' | 'POST'; headers?: Record<string, string>; body?: string } = {},
): Promise<JsonReply> {
  const res = await transport.fetch(url, {
    method: init.method ?? 'GET',
    headers: { Accept: 'application/json', 'User-Agent': 'shieldwall-oauth-providers', ...init.headers },
    ...(init.body === undefined ? {} : { body: init.body }),
    redirect: 'manual',
    signal: AbortSignal.timeout(transport.timeoutMs),
  });
  const text = await readCapped(res, transport.maxBytes ?? maxBytes);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, json };
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
