import { createHash, createHmac, randomBytes } from 'node:crypto';
import express, { type Request } from 'express';
import { listen, type RunningServer } from '@shieldwall/test-utils';
import { fakeOidcProvider, type FakeOidcProvider } from './oidc-provider.js';

// Small real authorization servers on loopback, one per provider family, speaking each provider's authorize,
// token and user-info format closely enough that the real client path (fetch, headers, forms) runs end to end.
// They check what the real providers check (S256 verifier, redirect_uri, client auth, VK's device_id) and record
// what they saw so tests can assert on it. Google is an OpenID provider (oidc-provider.ts), as Telegram is.

export type Family = 'google' | 'github' | 'vk' | 'yandex';

export interface SeenRequest {
  path: string;
  method: string;
  headers: Record<string, string | string[] | undefined>;
  form: Record<string, string>;
  query: Record<string, unknown>;
}

export interface FakeProvider {
  url: string;
  family: Family;
  seen: SeenRequest[];
  /** The user-info reply (or GitHub's /user); change per test. */
  profile: Record<string, unknown>;
  /** GitHub's /user/emails reply. */
  emails: unknown[];
  /** When set, the token endpoint never answers. */
  hangToken: boolean;
  /** Follows the app's redirect like a browser and the user approving: returns the callback URL. */
  approve(authorizeUrl: string): Promise<string>;
  close(): Promise<void>;
}

export const googlePaths = { authorize: '/o/oauth2/v2/auth', token: '/token', jwks: '/oauth2/v3/certs' };
export const telegramPaths = { authorize: '/auth', token: '/token', jwks: '/.well-known/jwks.json' };

/** Telegram's ID token claims as its OpenID login sends them; `phone_number` only with the `phone` scope. */
export const telegramClaims = {
  sub: '31337',
  id: 31337,
  name: 'Ada L',
  preferred_username: 'ada_l',
  picture: 'https://t.me/i/userpic/320/ada.jpg',
};
export const telegramPhone = { phone_number: '+15551234567' };

export function fakeTelegram(client: { clientId: string; clientSecret: string }): Promise<FakeOidcProvider> {
  return fakeOidcProvider({
    client,
    paths: telegramPaths,
    profile: telegramClaims,
    scopedClaims: { phone: telegramPhone },
  });
}

const paths: Record<
  Exclude<Family, 'google'>,
  { authorize: string; token: string; userInfo: string; emails?: string }
> = {
  github: {
    authorize: '/login/oauth/authorize',
    token: '/login/oauth/access_token',
    userInfo: '/user',
    emails: '/user/emails',
  },
  vk: { authorize: '/authorize', token: '/oauth2/auth', userInfo: '/oauth2/user_info' },
  yandex: { authorize: '/authorize', token: '/token', userInfo: '/info' },
};

const defaults: Record<Family, Record<string, unknown>> = {
  google: {
    sub: '1080',
    name: 'Ada Lovelace',
    picture: 'https://lh3.example/ada.png',
    email: 'ada@example.com',
    email_verified: true,
  },
  github: { id: 42, login: 'ada', name: 'Ada', avatar_url: 'https://avatars.example/42', email: null },
  vk: {
    user: {
      user_id: 777,
      first_name: 'Ada',
      last_name: 'L',
      avatar: 'https://vk.example/a.jpg',
      email: 'ada@vk.example',
    },
  },
  yandex: {
    id: '9001',
    login: 'ada',
    display_name: 'Ada',
    default_email: 'ada@yandex.example',
    default_avatar_id: '131652443/abc',
    is_avatar_empty: false,
  },
};

interface Grant {
  challenge: string;
  redirectUri: string;
  clientId: string;
  state: string;
  deviceId?: string;
}

export async function fakeProvider(
  family: Family,
  client: { clientId: string; clientSecret: string },
): Promise<FakeProvider> {
  if (family === 'google') return fakeOidcProvider({ client, paths: googlePaths, profile: defaults.google });
  const p = paths[family];
  const grants = new Map<string, Grant>();
  const tokens = new Set<string>();
  const app = express();
  const fake: Omit<FakeProvider, 'url' | 'close'> & { server?: RunningServer } = {
    family,
    seen: [],
    profile: structuredClone(defaults[family]),
    emails: [{ email: 'ada@example.com', primary: true, verified: true, visibility: 'private' }],
    hangToken: false,
    approve: async () => '',
  };
  const record = (req: Request): void => {
    fake.seen.push({
      path: req.path,
      method: req.method,
      headers: { ...req.headers },
      form: { ...(req.body as Record<string, string>) },
      query: { ...req.query },
    });
  };
  app.use(express.urlencoded({ extended: false }));

  app.get(p.authorize, (req, res) => {
    record(req);
    const q = req.query as Record<string, string>;
    if (q.response_type !== 'code' || q.client_id !== client.clientId || q.code_challenge_method !== 'S256') {
      res.status(400).send('bad authorize request');
      return;
    }
    const code = randomBytes(12).toString('hex');
    const grant: Grant = {
      challenge: q.code_challenge ?? '',
      redirectUri: q.redirect_uri ?? '',
      clientId: q.client_id,
      state: q.state ?? '',
    };
    const back = new URL(grant.redirectUri);
    back.searchParams.set('code', code);
    back.searchParams.set('state', grant.state);
    if (family === 'vk') {
      grant.deviceId = randomBytes(8).toString('hex');
      back.searchParams.set('device_id', grant.deviceId);
      back.searchParams.set('type', 'code_v2');
    }
    grants.set(code, grant);
    res.redirect(302, back.href);
  });

  app.post(p.token, (req, res) => {
    record(req);
    if (fake.hangToken) return; // never answers
    const form = req.body as Record<string, string>;
    const fail = (error: string): void => {
      // GitHub answers refusals with 200 and an error body; the others with 400.
      res.status(family === 'github' ? 200 : 400).json({ error, error_description: 'refused' });
    };
    const grant = grants.get(form.code ?? '');
    grants.delete(form.code ?? '');
    if (form.grant_type !== 'authorization_code' || !grant) return fail('invalid_grant');
    const s256 = createHash('sha256')
      .update(form.code_verifier ?? '')
      .digest('base64url');
    if (s256 !== grant.challenge) return fail('invalid_grant');
    if (form.redirect_uri !== grant.redirectUri || form.client_id !== client.clientId)
      return fail('invalid_grant');
    if (family === 'vk') {
      if (form.device_id !== grant.deviceId || form.state !== grant.state) return fail('invalid_grant');
      if (form.client_secret !== undefined) return fail('invalid_request');
    } else if (form.client_secret !== client.clientSecret) {
      return fail('invalid_client');
    }
    const token = `at-${randomBytes(16).toString('hex')}`;
    tokens.add(token);
    res.json({
      access_token: token,
      refresh_token: `rt-${randomBytes(8).toString('hex')}`,
      token_type: 'bearer',
      expires_in: 3600,
      ...(family === 'vk' ? { user_id: 777, id_token: 'x.y.z' } : {}),
    });
  });

  const authorised = (req: Request): boolean => {
    if (family === 'vk') return tokens.has((req.body as Record<string, string>).access_token ?? '');
    const scheme = family === 'yandex' ? 'OAuth' : 'Bearer';
    const header = req.headers.authorization ?? '';
    return (
      header.startsWith(`${scheme} `) &&
      tokens.has(header.slice(scheme.length + 1)) &&
      !('access_token' in req.query)
    );
  };
  const userInfo = (req: Request, res: express.Response): void => {
    record(req);
    if (!authorised(req)) {
      res.status(401).json({ error: 'invalid_token' });
      return;
    }
    res.json(fake.profile);
  };
  if (family === 'vk') app.post(p.userInfo, userInfo);
  else app.get(p.userInfo, userInfo);
  if (p.emails) {
    app.get(p.emails, (req, res) => {
      record(req);
      if (!authorised(req)) {
        res.status(401).json({ message: 'Requires authentication' });
        return;
      }
      res.json(fake.emails);
    });
  }

  const server = await listen(app);
  return Object.assign(fake, {
    url: server.url,
    async approve(authorizeUrl: string) {
      const res = await fetch(authorizeUrl, { redirect: 'manual' });
      const location = res.headers.get('location');
      if (res.status !== 302 || !location) throw new Error(`authorize refused: ${res.status}`);
      return location;
    },
    close: () => server.close(),
  });
}

/** Signs Telegram widget fields as Telegram does. */
export function signTelegram(botToken: string, fields: Record<string, string>): Record<string, string> {
  const key = createHash('sha256').update(botToken).digest();
  const check = Object.keys(fields)
    .sort()
    .map((k) => `${k}=${fields[k]}`)
    .join('\n');
  return { ...fields, hash: createHmac('sha256', key).update(check).digest('hex') };
}
