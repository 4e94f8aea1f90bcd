// The API consumer's side (browser or Node), with no Node-only imports: on 401 `token_expired`, refresh once and
// retry the request once. Concurrent requests that all see an expired token share one refresh.

export interface AuthFetchOptions {
  /** The refresh route, POSTed with credentials. Defaults to "/api/auth/refresh". */
  refreshPath?: string;
  /** Credentials mode for every request. Defaults to "include" (cookies go cross-origin to a CORS-allowed API). */
  credentials?: RequestCredentials;
  /** Called when the refresh itself fails (the session is over): show the sign-in page. Defaults to nothing. */
  onSessionEnded?: (response: Response) => void;
}

type Fetch = (input: RequestInfo | URL, init?: RequestInit) => Promise<Response>;

async function errorCode(response: Response): Promise<string | undefined> {
  if (response.status !== 401) return undefined;
  try {
    const body = (await response.clone().json()) as { error?: { code?: unknown } };
    return typeof body?.error?.code === 'string' ? body.error.code : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Wraps `fetch` so an expired access token is refreshed transparently. Bodies are re-sent on the retry, so pass
 * strings, Blobs or FormData, not streams. The refresh path is resolved against the request's URL when relative.
 */
export function createAuthFetch(fetchImpl: Fetch, options: Readonly<AuthFetchOptions> = {}): Fetch {
  const refreshPath = options.refreshPath ?? '/api/auth/refresh';
  const credentials = options.credentials ?? 'include';
  let refreshing: Promise<boolean> | undefined;

  const refreshUrl = (input: RequestInfo | URL): string => {
    const base = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    try {
      return new URL(refreshPath, base).href;
    } catch {
      return refreshPath;
    }
  };

  const refreshOnce = (input: RequestInfo | URL): Promise<boolean> => {
    refreshing ??= fetchImpl(refreshUrl(input), { method: 'POST', credentials })
      .then((response) => {
        if (!response.ok) options.onSessionEnded?.(response);
        return response.ok;
      })
      .finally(() => {
        refreshing = undefined;
      });
    return refreshing;
  };

  return async function authFetch(input, init = {}) {
    const retryable = typeof Request !== 'undefined' && input instanceof Request ? input.clone() : input;
    const response = await fetchImpl(input, { credentials, ...init });
    if ((await errorCode(response)) !== 'token_expired') return response;
    if (!(await refreshOnce(input))) return response;
    return fetchImpl(retryable, { credentials, ...init });
  };
}
