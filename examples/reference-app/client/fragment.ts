/**
 * The token of an e-mailed link (`#token=…`). It lives in the fragment so it never reaches a server log or a
 * Referer header; once read, it is taken out of the address bar and the history.
 */
export function takeFragmentToken(): string | undefined {
  const token = new URLSearchParams(window.location.hash.slice(1)).get('token') ?? undefined;
  if (window.location.hash) history.replaceState(null, '', window.location.pathname);
  return token || undefined;
}
