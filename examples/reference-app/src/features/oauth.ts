import { createSecretKey, hkdfSync, randomUUID } from 'node:crypto';
import { ShieldwallError } from '@shieldwall/core';
import {
  oauthProviders,
  type OAuthProfile,
  type OAuthProvidersConfig,
  type OidcClientOptions,
} from '@shieldwall/oauth-providers';
import type { OAuthClientConfig } from '../config/index.js';
import type { User, UserRepository } from '../users.js';
import type { Feature } from './feature.js';
import { phoneInUse, recordVerifiedPhone } from './phone.js';

/**
 * Finds the user a provider vouched for, or creates one. Accounts are linked by e-mail only when the provider
 * verified it (`emailVerified`); an unverified provider e-mail is never stored, so it cannot squat an address.
 * A phone number the provider vouches for (`phoneVerified`: Telegram's `phone_number`) is recorded as verified on
 * the account; when another account holds it, the sign-in is refused with 409 `phone_in_use` before anything is
 * written (numbers are reassigned, so neither account is assumed to be the stale one).
 */
export async function findOrCreateOAuthUser(
  users: UserRepository,
  profile: OAuthProfile,
  now: number = Date.now(),
): Promise<User> {
  const identity = `${profile.provider}:${profile.id}`;
  const phone =
    profile.phoneVerified && profile.phone ? { number: profile.phone, verifiedAt: now } : undefined;
  const holder = phone ? await users.findByPhone(phone.number) : undefined;
  const withPhone = async (user: User): Promise<User> =>
    phone && user.phone?.number !== phone.number ? recordVerifiedPhone(users, user, phone) : user;

  const known = await users.findByIdentity(identity);
  if (known) {
    if (holder && holder.id !== known.id) throw phoneInUse();
    return withPhone(known);
  }

  const verifiedEmail = profile.emailVerified && profile.email ? profile.email : undefined;
  const owner = verifiedEmail ? await users.findByEmail(verifiedEmail) : undefined;
  if (holder && holder.id !== owner?.id) throw phoneInUse();
  if (owner) {
    // The provider proved the address. If the account never did (someone registered it without confirming),
    // its password is dropped: otherwise whoever pre-registered the address would share the account.
    const linked = await users.update(owner.id, {
      identities: [...owner.identities, identity],
      emailVerified: true,
      ...(owner.emailVerified ? {} : { passwordHash: undefined }),
    });
    if (linked) return withPhone(linked);
  }
  const created = await users.create({
    // Users without a verified provider e-mail get a unique address under the reserved .invalid TLD.
    email: verifiedEmail ?? `oauth-${randomUUID()}@users.invalid`,
    emailVerified: verifiedEmail !== undefined,
    identities: [identity],
    ...(phone ? { phone } : {}),
  });
  if (created) return created;
  // Lost a race with a concurrent sign-in of the same identity or address, or with another account for the number.
  const raced =
    (await users.findByIdentity(identity)) ?? (verifiedEmail && (await users.findByEmail(verifiedEmail)));
  if (raced) return withPhone(raced);
  if (phone && (await users.findByPhone(phone.number))) throw phoneInUse();
  throw new ShieldwallError(409, 'oauth_account_conflict', 'This account could not be created; try again.');
}

function oidc({ clientId, clientSecret, baseUrl }: OAuthClientConfig): OidcClientOptions {
  return { clientId, clientSecret, ...(baseUrl ? { issuer: baseUrl } : {}) };
}

/**
 * `GET /api/auth/oauth/:provider` and its callback (SPEC.md) for the providers configured in the environment, on
 * @shieldwall/oauth-providers; the user is signed in with the same cookies as password login.
 */
export const mountOAuth: Feature = async (app, services, guards) => {
  const { config, users } = services;
  const providers: OAuthProvidersConfig = {};
  for (const name of ['github', 'vk', 'yandex'] as const) {
    const client = config.oauth[name];
    if (client) providers[name] = client;
  }
  // OpenID providers: OAUTH_<P>_BASE_URL names the issuer (discovery, `iss`).
  const { google, telegram } = config.oauth;
  if (google) providers.google = oidc(google);
  if (telegram) providers.telegram = 'legacyWidget' in telegram ? telegram : oidc(telegram);
  if (Object.keys(providers).length === 0) return;

  // The flow cookie's MAC key, derived from the first JWT secret so no new secret has to be configured.
  const [signing] = config.jwtSecrets;
  if (!signing) throw new Error('OAuth needs a JWT secret to derive its state key from');
  const stateKey = createSecretKey(
    Buffer.from(hkdfSync('sha256', signing.key, Buffer.alloc(0), 'shieldwall/oauth-state/v1', 32)),
  );

  const router = oauthProviders({
    publicOrigin: config.publicOrigin,
    providers,
    stateKey,
    secure: config.production,
    store: services.store,
    fetch: services.fetch,
    clock: services.clock,
    logger: services.logger,
    async onProfile(profile, _req, res) {
      const user = await findOrCreateOAuthUser(users, profile, services.clock.now());
      await guards.signIn(res, user);
      // Straight to the account page, as password sign-in does.
      res.redirect(302, '/account');
    },
  });
  app.use('/api/auth/oauth', guards.limit('oauth'));
  app.use(router);
  return () => router.close();
};
