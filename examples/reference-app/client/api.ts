import { createAuthFetch } from '@shieldwall/jwt-cookies/client';
import { createKeyExchangeClient, type KeyExchangeClient } from '@shieldwall/key-exchange/client';

/** A refusal in the JSON envelope, with the fields a page acts on. */
export interface ApiError {
  code: string;
  message: string;
  retryAfter?: number;
  attemptsRemaining?: number;
  challenge?: { id: string; channel: string; expiresAt: string | number };
}

export interface ApiResult<T = unknown> {
  ok: boolean;
  status: number;
  data?: T;
  error?: ApiError;
}

export async function resultOf<T>(response: Response): Promise<ApiResult<T>> {
  let body: unknown;
  try {
    body = response.status === 204 ? undefined : await response.json();
  } catch {
    body = undefined;
  }
  if (response.ok) return { ok: true, status: response.status, data: body as T };
  const error = (body as { error?: ApiError } | undefined)?.error;
  return {
    ok: false,
    status: response.status,
    error:
      error && typeof error.code === 'string'
        ? error
        : { code: 'unexpected_response', message: `The server answered ${response.status}.` },
  };
}

/** The envelope's message as the sentence a person reads, with what to do where the code says more. */
export function sentence(error: ApiError | undefined): string {
  if (!error) return 'Something went wrong. Try again.';
  switch (error.code) {
    case 'rate_limited':
      return `Too many attempts. Try again in ${error.retryAfter ?? 60} seconds.`;
    case 'token_expired':
    case 'unauthenticated':
      return 'Your session has ended. Sign in again.';
    case 'verification_failed':
      return error.attemptsRemaining !== undefined
        ? `That code is not right. ${error.attemptsRemaining} attempts left.`
        : 'That code is not right.';
    case 'unexpected_response':
      return 'The server could not answer. Try again in a moment.';
    default:
      return error.message;
  }
}

export const jsonHeaders = { 'Content-Type': 'application/json' };

/** An unauthenticated JSON POST (sign-up, sign-in, reset): plain fetch, same-origin cookies. */
export async function postJson<T = unknown>(
  path: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<ApiResult<T>> {
  try {
    const response = await fetch(path, {
      method: 'POST',
      credentials: 'same-origin',
      headers: { ...jsonHeaders, ...headers },
      body: JSON.stringify(body),
    });
    return await resultOf<T>(response);
  } catch {
    return { ok: false, status: 0, error: { code: 'network', message: 'The network is down. Try again.' } };
  }
}

/**
 * Every authenticated call goes through the refresh-once helper (000: on 401 `token_expired`, refresh and retry).
 * When the refresh itself fails the session is over: to the sign-in page.
 */
export const authFetch = createAuthFetch(globalThis.fetch.bind(globalThis), {
  credentials: 'same-origin',
  onSessionEnded: () => window.location.assign('/signin'),
});

let channel: KeyExchangeClient | undefined;

/** The encrypted channel (key exchange), whose requests also go through the refresh-once helper. */
export function encrypted(): KeyExchangeClient {
  channel ??= createKeyExchangeClient({ fetch: authFetch });
  return channel;
}

/** A call over the encrypted channel, as an ApiResult (network and handshake failures included). */
export async function secure<T>(
  path: string,
  init: { method?: string; body?: unknown; headers?: Record<string, string> } = {},
): Promise<ApiResult<T>> {
  try {
    return await resultOf<T>(await encrypted().fetch(path, init));
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    return {
      ok: false,
      status: 0,
      error: {
        code: typeof code === 'string' ? code : 'channel_failed',
        message: 'The encrypted channel could not be opened. Reload the page.',
      },
    };
  }
}
