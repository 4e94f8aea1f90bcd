import { createHash, generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';
import express, { type Request } from 'express';
import { SignJWT, type JWK } from 'jose';
import { listen } from '@shieldwall/test-utils';
import type { FakeProvider, SeenRequest } from './fake-providers.js';

// A small OpenID provider on loopback that speaks the real wire format: discovery, the authorization endpoint
// (code, S256 PKCE, state, nonce), the token endpoint (client_secret_basic or _post, the verifier checked, an
// RS256 ID token in the reply) and a JWKS with key rotation. Knobs let a test make it misbehave the ways a
// hostile or broken provider (or a token thief) would: other claims, other keys, other algorithms, a JWKS that
// fails or hangs.

export interface OidcPaths {
  authorize: string;
  token: string;
  jwks: string;
}

export type Signing = 'current' | 'unlisted' | 'none' | 'hs256-client-secret';

export interface FakeOidcProvider extends FakeProvider {
  /** The issuer (its own loopback origin). */
  issuer: string;
  /** Merged over the discovery document; a key set to undefined is removed. */
  discovery: Record<string, unknown>;
  /** Merged over the ID token's claims after the profile; a key set to undefined is removed. */
  claims: Record<string, unknown>;
  signing: Signing;
  /** 'fail' answers 500, 'hang' never answers. */
  jwksMode: 'ok' | 'fail' | 'hang';
  jwksFetches: number;
  /** The kid ID tokens are signed with now. */
  currentKid: string;
  /** A new signing key: published beside the old ones and used from now on. */
  rotate(options?: { retireOld?: boolean }): string;
  /** The access tokens the token endpoint issued (the app must keep none of them). */
  issuedTokens: string[];
}

interface Grant {
  challenge: string;
  redirectUri: string;
  nonce: string;
  scope: string[];
  state: string;
}

interface SigningKey {
  kid: string;
  privateKey: KeyObject;
  jwk: JWK;
}

// RSA key generation is the slow part of a test run; key pairs are made once per process and reused under fresh
// kids (each fake provider is independent, so sharing key material between them changes nothing they test).
const pool: Array<{ privateKey: KeyObject; jwk: JWK }> = [];
function newKey(index: number): SigningKey {
  while (pool.length <= index) {
    const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    pool.push({ privateKey, jwk: publicKey.export({ format: 'jwk' }) });
  }
  const kid = randomBytes(6).toString('hex');
  return {
    kid,
    privateKey: pool[index]!.privateKey,
    jwk: { ...pool[index]!.jwk, kid, alg: 'RS256', use: 'sig' },
  };
}

const b64json = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');

function merge(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const out = { ...base, ...over };
  for (const [k, v] of Object.entries(over)) if (v === undefined) delete out[k];
  return out;
}

export async function fakeOidcProvider(options: {
  client: { clientId: string; clientSecret: string };
  paths: OidcPaths;
  profile: Record<string, unknown>;
  /** Claims added only when the request's scope has the key (Telegram's `phone`). */
  scopedClaims?: Record<string, Record<string, unknown>>;
}): Promise<FakeOidcProvider> {
  const { client, paths } = options;
  const grants = new Map<string, Grant>();
  const keys: SigningKey[] = [newKey(0)];
  const published = new Set([keys[0]!.kid]);
  const unlisted = newKey(1);
  const app = express();
  app.use(express.urlencoded({ extended: false }));

  const fake = {
    family: 'google',
    seen: [] as SeenRequest[],
    profile: structuredClone(options.profile),
    emails: [],
    hangToken: false,
    discovery: {},
    claims: {},
    signing: 'current',
    jwksMode: 'ok',
    jwksFetches: 0,
    currentKid: keys[0]!.kid,
    issuedTokens: [] as string[],
  } as unknown as FakeOidcProvider;

  const record = (req: Request): void => {
    fake.seen.push({
      path: req.path,
      method: req.method,
      headers: { ...req.headers },
      form: { ...(req.body as Record<string, string>) },
      query: { ...req.query },
    });
  };

  app.get('/.well-known/openid-configuration', (req, res) => {
    record(req);
    res.json(
      merge(
        {
          issuer: fake.issuer,
          authorization_endpoint: `${fake.issuer}${paths.authorize}`,
          token_endpoint: `${fake.issuer}${paths.token}`,
          jwks_uri: `${fake.issuer}${paths.jwks}`,
          response_types_supported: ['code'],
          subject_types_supported: ['public'],
          id_token_signing_alg_values_supported: ['RS256'],
          scopes_supported: ['openid', 'profile', 'email', 'phone'],
          token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
          code_challenge_methods_supported: ['S256'],
          grant_types_supported: ['authorization_code'],
        },
        fake.discovery,
      ),
    );
  });

  app.get(paths.authorize, (req, res) => {
    record(req);
    const q = req.query as Record<string, string>;
    const scope = (q.scope ?? '').split(' ');
    if (
      q.response_type !== 'code' ||
      q.client_id !== client.clientId ||
      q.code_challenge_method !== 'S256' ||
      !q.code_challenge ||
      !q.nonce ||
      !scope.includes('openid')
    ) {
      res.status(400).send('bad authorize request');
      return;
    }
    const code = randomBytes(12).toString('hex');
    grants.set(code, {
      challenge: q.code_challenge,
      redirectUri: q.redirect_uri ?? '',
      nonce: q.nonce,
      scope,
      state: q.state ?? '',
    });
    const back = new URL(q.redirect_uri ?? '');
    back.searchParams.set('code', code);
    back.searchParams.set('state', q.state ?? '');
    res.redirect(302, back.href);
  });

  const sign = async (claims: Record<string, unknown>): Promise<string> => {
    const current = keys.find((k) => k.kid === fake.currentKid)!;
    switch (fake.signing) {
      case 'none':
        return `${b64json({ alg: 'none', typ: 'JWT' })}.${b64json(claims)}.`;
      case 'hs256-client-secret':
        // The classic confusion: the client secret as an HMAC key, under the provider's own kid.
        return new SignJWT(claims)
          .setProtectedHeader({ alg: 'HS256', typ: 'JWT', kid: current.kid })
          .sign(new TextEncoder().encode(client.clientSecret));
      case 'unlisted':
        return new SignJWT(claims)
          .setProtectedHeader({ alg: 'RS256', typ: 'JWT', kid: unlisted.kid })
          .sign(unlisted.privateKey);
      default:
        return new SignJWT(claims)
          .setProtectedHeader({ alg: 'RS256', typ: 'JWT', kid: current.kid })
          .sign(current.privateKey);
    }
  };

  app.post(paths.token, (req, res) => {
    record(req);
    if (fake.hangToken) return; // never answers
    const form = req.body as Record<string, string>;
    const fail = (status: number, error: string): void => {
      res.status(status).json({ error, error_description: 'refused' });
    };
    const basic = /^Basic (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    const [id, secret] = basic
      ? Buffer.from(basic, 'base64')
          .toString()
          .split(':')
          .map((part) => decodeURIComponent(part.replace(/\+/g, ' ')))
      : [form.client_id, form.client_secret];
    if (id !== client.clientId || secret !== client.clientSecret) return fail(401, 'invalid_client');
    const grant = grants.get(form.code ?? '');
    grants.delete(form.code ?? '');
    if (form.grant_type !== 'authorization_code' || !grant) return fail(400, 'invalid_grant');
    const s256 = createHash('sha256')
      .update(form.code_verifier ?? '')
      .digest('base64url');
    if (s256 !== grant.challenge || form.redirect_uri !== grant.redirectUri)
      return fail(400, 'invalid_grant');
    const now = Math.floor(Date.now() / 1000);
    const scoped = Object.entries(options.scopedClaims ?? {})
      .filter(([scope]) => grant.scope.includes(scope))
      .reduce((all, [, claims]) => ({ ...all, ...claims }), {});
    const claims = merge(
      {
        iss: fake.issuer,
        aud: client.clientId,
        iat: now,
        exp: now + 3600,
        nonce: grant.nonce,
        ...fake.profile,
        ...scoped,
      },
      fake.claims,
    );
    const accessToken = `at-${randomBytes(16).toString('hex')}`;
    fake.issuedTokens.push(accessToken);
    sign(claims).then(
      (idToken) =>
        res.json({ access_token: accessToken, token_type: 'Bearer', expires_in: 3600, id_token: idToken }),
      () => res.status(500).end(),
    );
  });

  app.get(paths.jwks, (req, res) => {
    record(req);
    fake.jwksFetches += 1;
    if (fake.jwksMode === 'hang') return;
    if (fake.jwksMode === 'fail') {
      res.status(500).send('down');
      return;
    }
    res.json({ keys: keys.filter((k) => published.has(k.kid)).map((k) => k.jwk) });
  });

  const server = await listen(app);
  return Object.assign(fake, {
    url: server.url,
    issuer: server.url,
    async approve(authorizeUrl: string) {
      const res = await fetch(authorizeUrl, { redirect: 'manual' });
      const location = res.headers.get('location');
      if (res.status !== 302 || !location) throw new Error(`authorize refused: ${res.status}`);
      return location;
    },
    rotate(rotation: { retireOld?: boolean } = {}) {
      const key = newKey(keys.length + 1);
      if (rotation.retireOld) published.clear();
      keys.push(key);
      published.add(key.kid);
      fake.currentKid = key.kid;
      return key.kid;
    },
    close: () => server.close(),
  });
}
