import { createHash, createHmac, randomBytes, type KeyObject } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { constantTimeEqual, type Clock, type Store } from '@shieldwall/core';
import type { ProviderName } from './types.js';

// The flow cookie replaces the server session passport-oauth2 would otherwise need. It holds the `state` handle,
// the PKCE verifier, the OpenID nonce and the expiry, signed with HMAC-SHA256 under the configured key, in a cookie per provider so
// parallel flows at two providers do not collide. Format: `v1.<base64url(JSON)>.<base64url(mac)>`; the MAC covers
// the version, the cookie name (and so the provider) and the payload.

const version = 'v1';

export interface Flow {
  provider: ProviderName;
  /** The `state` sent to the provider; also the single-use id. */
  state: string;
  /** The PKCE verifier; empty for the legacy Telegram widget. */
  verifier: string;
  /** The OpenID Connect nonce the ID token must carry; empty for plain OAuth 2 providers. */
  nonce: string;
  /** Epoch ms after which the flow is refused. */
  expiresAt: number;
}

export interface FlowCookies {
  start(res: ServerResponse, provider: ProviderName, verifier: string, nonce?: string): string;
  /**
   * Reads, clears and checks the provider's flow cookie, then records its state as used. Resolves with the flow,
   * or undefined for anything wrong: missing, forged, expired, for another provider, state not matching, or used.
   * `providedState` undefined means the provider does not echo a state (Telegram): the cookie alone binds the flow.
   */
  consume(
    req: IncomingMessage,
    res: ServerResponse,
    provider: ProviderName,
    providedState: unknown,
  ): Promise<Flow | undefined>;
  clear(res: ServerResponse, provider: ProviderName): void;
}

export interface FlowCookieOptions {
  key: KeyObject;
  secure: boolean;
  ttlMs: number;
  clock: Clock;
  /** Already prefixed for this package. */
  store: Store;
}

const b64 = (value: Buffer | string): string => Buffer.from(value).toString('base64url');

export function flowCookies(options: FlowCookieOptions): FlowCookies {
  const { key, secure, ttlMs, clock, store } = options;
  const nameOf = (provider: ProviderName): string =>
    secure ? `__Host-sw-oauth-${provider}` : `sw-oauth-${provider}`;
  const attributes = `; Path=/; HttpOnly; SameSite=Lax${secure ? '; Secure' : ''}`;
  const mac = (name: string, payload: string): string =>
    createHmac('sha256', key).update(`${version}.${name}.${payload}`).digest('base64url');

  const setCookie = (res: ServerResponse, value: string): void => {
    const existing = res.getHeader('Set-Cookie');
    const list = existing === undefined ? [] : Array.isArray(existing) ? existing : [String(existing)];
    res.setHeader('Set-Cookie', [...list, value]);
  };

  const clear = (res: ServerResponse, provider: ProviderName): void => {
    setCookie(res, `${nameOf(provider)}=${attributes}; Max-Age=0`);
  };

  const read = (name: string, payloadText: string | undefined): Flow | undefined => {
    if (!payloadText) return undefined;
    const parts = payloadText.split('.');
    if (parts.length !== 3 || parts[0] !== version) return undefined;
    const [, payload, signature] = parts as [string, string, string];
    if (!constantTimeEqual(signature, mac(name, payload))) return undefined;
    try {
      // Stryker disable BlockStatement: an empty catch block returns undefined as well (and only a payload this server MACed gets here)
      const flow = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Partial<Flow>;
      // The provider is not checked here: consume() compares it with the one the callback is for.
      if (
        typeof flow.state !== 'string' ||
        typeof flow.verifier !== 'string' ||
        typeof flow.expiresAt !== 'number' ||
        (flow.nonce !== undefined && typeof flow.nonce !== 'string')
      )
        return undefined;
      return { ...flow, nonce: flow.nonce ?? '' } as Flow;
    } catch {
      return undefined;
    }
  };

  // Stryker restore BlockStatement
  return {
    start(res, provider, verifier, nonce = '') {
      const state = b64(randomBytes(32));
      const flow: Flow = { provider, state, verifier, nonce, expiresAt: clock.now() + ttlMs };
      const name = nameOf(provider);
      const payload = b64(JSON.stringify(flow));
      const maxAge = Math.ceil(ttlMs / 1000);
      setCookie(res, `${name}=${version}.${payload}.${mac(name, payload)}${attributes}; Max-Age=${maxAge}`);
      return state;
    },

    async consume(req, res, provider, providedState) {
      const name = nameOf(provider);
      // Cleared whatever happens next: a flow cookie is good for one callback.
      clear(res, provider);
      const flow = read(name, readCookie(req.headers.cookie, name));
      if (!flow || flow.provider !== provider) return undefined;
      if (clock.now() >= flow.expiresAt) return undefined;
      if (providedState !== undefined) {
        if (typeof providedState !== 'string' || !constantTimeEqual(providedState, flow.state))
          return undefined;
      }
      // The cookie could be replayed by whoever captured it; the store makes the state single-use for real.
      const id = createHash('sha256').update(flow.state).digest('base64url');
      const remaining = Math.max(1, flow.expiresAt - clock.now());
      // Stryker disable next-line StringLiteral: only the key's presence is read
      const first = await store.setIfAbsent(`used:${id}`, '1', remaining);
      return first ? flow : undefined;
    },

    clear,
  };
}

/** The value of one cookie from a Cookie header; the first one wins, as browsers send the most specific first. */
export function readCookie(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq === -1) continue;
    if (part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}
