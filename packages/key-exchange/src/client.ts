// The key-exchange client for browsers and Node (WebCrypto + jose only; no Node built-ins), so one file serves
// the page (bundled) and Node services or tests. The wire format it speaks is docs/protocols/key-exchange.md.
import { CompactEncrypt, base64url, compactDecrypt, importJWK } from 'jose';
import type { PublicJwk } from './jwk.js';

export interface KeyExchangeClientOptions {
  /** Prefix for every path, for example `https://api.example.com`. Defaults to '' (same origin, browsers). */
  baseUrl?: string;
  /** Defaults to the global fetch. */
  fetch?: typeof fetch;
  /**
   * Web clients: the CSRF token, or a function returning it. Defaults to the `<meta name="csrf-token">` of the
   * current document.
   */
  csrfToken?: string | (() => string | undefined);
  /** Mobile clients: the platform, version and public JWK built into this app version (no CSRF). */
  app?: { platform: string; version: string; publicKey: PublicJwk };
  /** Defaults to `/api/security/public-key`. */
  publicKeyPath?: string;
  /** Defaults to `/api/security/session-key`. */
  sessionKeyPath?: string;
  /**
   * Keep cookies in memory and send them back (Node has no cookie jar); a string seeds the jar from a Cookie
   * header (for example the session cookie of the page the token came from). Defaults to false (browsers).
   */
  cookies?: boolean | string;
  /** Milliseconds since the epoch. Defaults to Date.now. */
  now?: () => number;
  /** Passed to fetch. Defaults to 'same-origin'. */
  credentials?: RequestCredentials;
}

export interface EncryptedRequestInit {
  method?: string;
  headers?: Record<string, string>;
  /** Any JSON value; sent encrypted. Omit for requests without a body (the envelope goes in a header). */
  body?: unknown;
}

export interface KeyExchangeClient {
  /** Makes a fresh AES-256 key, wraps it under the server's RSA key and opens a channel. */
  establish(): Promise<{ channel: string; expiresAt: string }>;
  /**
   * Sends an encrypted request (establishing first if needed) and returns a Response whose body is the decrypted
   * JSON. Plaintext error responses are returned as they came. On `invalid_envelope` (an expired channel) it
   * re-establishes once and retries. A sealed answer whose `rid`, `kid`, `htm`, `htu` or status (`sts`) does not
   * match the request and the HTTP status throws `invalid_response`.
   */
  fetch(path: string, init?: EncryptedRequestInit): Promise<Response>;
  /** The current channel id, if any. */
  readonly channel: string | undefined;
}

/** A refusal from the server during the handshake, with its status and error code. */
export class KeyExchangeClientError extends Error {
  override readonly name = 'KeyExchangeClientError';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

const envelopeHeader = 'X-Channel-Envelope';

function jti(): string {
  return base64url.encode(globalThis.crypto.getRandomValues(new Uint8Array(18)));
}

function metaToken(): string | undefined {
  const doc = (
    globalThis as {
      document?: { querySelector(s: string): { getAttribute(n: string): string | null } | null };
    }
  ).document;
  return doc?.querySelector('meta[name="csrf-token"]')?.getAttribute('content') ?? undefined;
}

async function refusal(response: Response): Promise<KeyExchangeClientError> {
  let code = 'unexpected_response';
  let message = `HTTP ${response.status}`;
  try {
    const body = (await response.json()) as { error?: { code?: string; message?: string } };
    code = body.error?.code ?? code;
    message = body.error?.message ?? message;
  } catch {
    // Not JSON: keep the status.
  }
  return new KeyExchangeClientError(response.status, code, message);
}

export function createKeyExchangeClient(options: KeyExchangeClientOptions = {}): KeyExchangeClient {
  const baseUrl = options.baseUrl ?? '';
  const doFetch = options.fetch ?? globalThis.fetch.bind(globalThis);
  const now = options.now ?? Date.now;
  const publicKeyPath = options.publicKeyPath ?? '/api/security/public-key';
  const sessionKeyPath = options.sessionKeyPath ?? '/api/security/session-key';
  const credentials = options.credentials ?? 'same-origin';
  const jar = new Map<string, string>();
  if (typeof options.cookies === 'string') {
    for (const pair of options.cookies.split(';')) {
      const eq = pair.indexOf('=');
      if (eq > 0) jar.set(pair.slice(0, eq).trim(), pair.slice(eq + 1).trim());
    }
  }
  let channel: { id: string; key: CryptoKey } | undefined;
  let establishing: Promise<{ channel: string; expiresAt: string }> | undefined;

  async function send(
    path: string,
    init: RequestInit & { headers: Record<string, string> },
  ): Promise<Response> {
    if (options.cookies && jar.size > 0) {
      init.headers.Cookie = [...jar].map(([name, value]) => `${name}=${value}`).join('; ');
    }
    const response = await doFetch(baseUrl + path, { ...init, credentials });
    if (options.cookies) {
      for (const cookie of response.headers.getSetCookie?.() ?? []) {
        const pair = cookie.split(';')[0] ?? '';
        const eq = pair.indexOf('=');
        if (eq > 0) jar.set(pair.slice(0, eq).trim(), pair.slice(eq + 1).trim());
      }
    }
    return response;
  }

  function csrfToken(): string | undefined {
    const option = options.csrfToken;
    return typeof option === 'function' ? option() : (option ?? metaToken());
  }

  async function establishOnce(): Promise<{ channel: string; expiresAt: string }> {
    const headers: Record<string, string> = { 'Content-Type': 'application/jose' };
    let jwk: PublicJwk;
    if (options.app) {
      jwk = options.app.publicKey;
      headers['X-App-Platform'] = options.app.platform;
      headers['X-App-Version'] = options.app.version;
    } else {
      const token = csrfToken();
      if (!token) throw new KeyExchangeClientError(0, 'csrf_token_missing', 'No CSRF token on the page.');
      headers['X-CSRF-Token'] = token;
      const response = await send(publicKeyPath, { method: 'GET', headers: { 'X-CSRF-Token': token } });
      if (!response.ok) throw await refusal(response);
      jwk = (await response.json()) as PublicJwk;
    }
    if (typeof jwk.kid !== 'string')
      throw new KeyExchangeClientError(0, 'invalid_public_key', 'The public key has no kid.');
    const rsa = await importJWK({ ...jwk, alg: 'RSA-OAEP-256' }, 'RSA-OAEP-256');
    const raw = globalThis.crypto.getRandomValues(new Uint8Array(32));
    const id = jti();
    const jwe = await new CompactEncrypt(
      new TextEncoder().encode(JSON.stringify({ k: base64url.encode(raw) })),
    )
      .setProtectedHeader({
        alg: 'RSA-OAEP-256',
        enc: 'A256GCM',
        kid: jwk.kid,
        typ: 'sw-key',
        htm: 'POST',
        htu: sessionKeyPath,
        iat: Math.floor(now() / 1000),
        jti: id,
      })
      .encrypt(rsa);
    const response = await send(sessionKeyPath, { method: 'POST', headers, body: jwe });
    if (response.status !== 201) throw await refusal(response);
    const key = await globalThis.crypto.subtle.importKey('raw', raw, 'AES-GCM', false, [
      'encrypt',
      'decrypt',
    ]);
    const { plaintext, protectedHeader } = await compactDecrypt(await response.text(), key, {
      keyManagementAlgorithms: ['dir'],
      contentEncryptionAlgorithms: ['A256GCM'],
    });
    const proof = JSON.parse(new TextDecoder().decode(plaintext)) as { channel: string; expiresAt: string };
    if (
      protectedHeader.kid !== proof.channel ||
      protectedHeader.rid !== id ||
      protectedHeader.typ !== 'sw-res' ||
      protectedHeader.sts !== 201 ||
      protectedHeader.htm !== 'POST' ||
      protectedHeader.htu !== sessionKeyPath
    ) {
      throw new KeyExchangeClientError(0, 'invalid_proof', 'The server did not prove it holds the key.');
    }
    channel = { id: proof.channel, key };
    return proof;
  }

  function establish(): Promise<{ channel: string; expiresAt: string }> {
    establishing ??= establishOnce().finally(() => {
      establishing = undefined;
    });
    return establishing;
  }

  async function attempt(path: string, init: EncryptedRequestInit): Promise<Response> {
    if (!channel) await establish();
    const { id, key } = channel!;
    const method = (init.method ?? (init.body === undefined ? 'GET' : 'POST')).toUpperCase();
    const requestId = jti();
    const plaintext =
      init.body === undefined ? new Uint8Array(0) : new TextEncoder().encode(JSON.stringify(init.body));
    const jwe = await new CompactEncrypt(plaintext)
      .setProtectedHeader({
        alg: 'dir',
        enc: 'A256GCM',
        kid: id,
        typ: 'sw-req',
        htm: method,
        htu: path,
        iat: Math.floor(now() / 1000),
        jti: requestId,
      })
      .encrypt(key);
    const headers: Record<string, string> = { ...init.headers, Accept: 'application/jose, application/json' };
    let body: string | undefined;
    if (init.body === undefined) headers[envelopeHeader] = jwe;
    else {
      headers['Content-Type'] = 'application/jose';
      body = jwe;
    }
    const response = await send(path, { method, headers, ...(body === undefined ? {} : { body }) });
    const type = (response.headers.get('content-type') ?? '').split(';')[0]!.trim();
    if (type !== 'application/jose') return response;
    const { plaintext: answer, protectedHeader } = await compactDecrypt(await response.text(), key, {
      keyManagementAlgorithms: ['dir'],
      contentEncryptionAlgorithms: ['A256GCM'],
    });
    // The status is authenticated too (`sts`): an intermediary cannot turn a refusal into a success.
    if (
      protectedHeader.typ !== 'sw-res' ||
      protectedHeader.rid !== requestId ||
      protectedHeader.kid !== id ||
      protectedHeader.sts !== response.status ||
      protectedHeader.htm !== method ||
      protectedHeader.htu !== path
    ) {
      throw new KeyExchangeClientError(
        response.status,
        'invalid_response',
        'The response is not bound to this request.',
      );
    }
    return new Response(answer.length ? (answer as Uint8Array<ArrayBuffer>) : null, {
      status: response.status,
      statusText: response.statusText,
      headers: { 'Content-Type': 'application/json' },
    });
  }

  async function isInvalidEnvelope(response: Response): Promise<boolean> {
    if (response.status !== 400) return false;
    try {
      const body = (await response.clone().json()) as { error?: { code?: string } };
      return body.error?.code === 'invalid_envelope';
    } catch {
      return false;
    }
  }

  return {
    establish,
    get channel() {
      return channel?.id;
    },
    async fetch(path, init = {}) {
      const first = await attempt(path, init);
      if (!(await isInvalidEnvelope(first))) return first;
      channel = undefined;
      await establish();
      return attempt(path, init);
    },
  };
}
export type { PublicJwk } from './jwk.js';
