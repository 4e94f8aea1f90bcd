import { listen, type RunningServer } from '../helpers/http.js';
import { createKeyExchangeClient, type KeyExchangeClient } from '@shieldwall/key-exchange/client';
import type { TestApp } from '../helpers/reference-app.js';

export interface ChannelForTests {
  /** Encrypted calls: `client.fetch(path, { method, body })` returns a Response with the decrypted JSON. */
  client: KeyExchangeClient;
  url: string;
  /** The Cookie header the channel was opened with: the caller's cookies plus the key-exchange session cookie. */
  cookies: string;
  /** The CSRF token from the page the channel was opened from. */
  csrfToken: string;
  close(): Promise<void>;
}

/**
 * Opens a web channel to a test app over real HTTP, as the page would: loads GET / for the CSRF token and the
 * session cookie, then establishes. `cookies` (for example the access cookie after login) ride along.
 */
export async function openWebChannel(t: TestApp, cookies = ''): Promise<ChannelForTests> {
  const server: RunningServer = await listen(t.app);
  const page = await fetch(`${server.url}/`, { headers: cookies ? { cookie: cookies } : {} });
  const html = await page.text();
  const token = /<meta name="csrf-token" content="([^"]+)">/.exec(html)?.[1];
  if (!token) throw new Error('GET / has no CSRF token');
  const session = page.headers.getSetCookie().map((c) => c.split(';')[0]!);
  const allCookies = [cookies, ...session].filter(Boolean).join('; ');
  const client = createKeyExchangeClient({ baseUrl: server.url, csrfToken: token, cookies: allCookies });
  await client.establish();
  return { client, url: server.url, cookies: allCookies, csrfToken: token, close: () => server.close() };
}
