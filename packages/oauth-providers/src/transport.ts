import { AsyncLocalStorage } from 'node:async_hooks';

// passport-oauth2 talks to providers through node-oauth's `_request`, which has no timeout, puts the access token
// in the query string unless told otherwise, and cannot be pointed at an injected fetch. Every strategy here gets
// this replacement instead: injected fetch, a timeout per call, a size cap, no redirects followed, the token only
// ever in the Authorization header.

type NodeOAuthCallback = (
  err: { statusCode: number; data: string } | Error | null,
  body?: string,
  res?: { statusCode: number },
) => void;

/** The part of node-oauth's OAuth2 object this module touches. */
export interface NodeOAuth2 {
  _customHeaders: Record<string, string>;
  _authMethod: string;
  _request: (
    method: string,
    url: string,
    headers: Record<string, string> | undefined,
    body: string | null | undefined,
    accessToken: string | null | undefined,
    callback: NodeOAuthCallback,
  ) => void;
  useAuthorizationHeaderforGET(use: boolean): void;
  setAuthMethod(method: string): void;
}

export interface TransportOptions {
  fetch: typeof fetch;
  timeoutMs: number;
  maxBytes?: number;
}

/** Per request: where an exception thrown inside a strategy's callback goes, so the request is answered. */
export const flowContext = new AsyncLocalStorage<{ fail(err: unknown): void }>();

export async function readCapped(res: Response, maxBytes: number): Promise<string> {
  const declared = Number(res.headers.get('content-length'));
  if (Number.isFinite(declared) && declared > maxBytes) {
    await res.body?.cancel();
    throw new Error('provider response too large');
  }
  if (!res.body) return '';
  // Read chunk by chunk so an endless or huge body is cut off at the cap, not buffered whole.
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      await reader.cancel();
      throw new Error('provider response too large');
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** Some providers (GitHub) answer a refused token request with 200 and `{"error": ...}`. */
function isTokenError(text: string): boolean {
  try {
    const json = JSON.parse(text) as { error?: unknown; access_token?: unknown };
    return typeof json.error === 'string' && json.access_token === undefined;
  } catch {
    return false;
  }
}

export function installTransport(oauth2: NodeOAuth2, options: TransportOptions): void {
  const { fetch: fetchImpl, timeoutMs } = options;
  const maxBytes = options.maxBytes ?? 1024 * 1024;
  oauth2.useAuthorizationHeaderforGET(true);

  oauth2._request = function fetchRequest(method, url, headers, body, accessToken, callback) {
    const realHeaders: Record<string, string> = {
      Accept: 'application/json',
      'User-Agent': 'shieldwall-oauth-providers',
      ...oauth2._customHeaders,
      ...headers,
    };
    if (accessToken && !realHeaders.Authorization) {
      realHeaders.Authorization = `${oauth2._authMethod} ${accessToken}`;
    }
    const context = flowContext.getStore();
    fetchImpl(url, {
      method,
      headers: realHeaders,
      ...(body ? { body } : {}),
      redirect: 'manual',
      signal: AbortSignal.timeout(timeoutMs),
    })
      .then(async (res) => ({ status: res.status, text: await readCapped(res, maxBytes) }))
      .then(
        ({ status, text }) => {
          if (status < 200 || status > 299) return callback({ statusCode: status, data: text });
          if (method === 'POST' && isTokenError(text)) return callback({ statusCode: 400, data: text });
          return callback(null, text, { statusCode: status });
        },
        (err: unknown) => callback(err instanceof Error ? err : new Error('provider request failed')),
      )
      .catch((err: unknown) => {
        // A strategy threw inside its callback; answer the request rather than leave it hanging.
        if (context) context.fail(err);
      });
  };
}
