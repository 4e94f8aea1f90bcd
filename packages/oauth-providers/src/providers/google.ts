import { Strategy as GoogleStrategy } from 'passport-google-oauth20';
import type OAuth2Strategy from 'passport-oauth2';
import { providerError } from '../errors.js';
import type { OAuthProfile } from '../types.js';
import {
  baseOptions,
  idOf,
  objectOf,
  resolveEndpoints,
  stringOrNull,
  useTransport,
  verifyProfile,
  type ProfileDone,
  type StrategyContext,
} from './common.js';

export const googleDefaults = {
  authorize: 'https://accounts.google.com/o/oauth2/v2/auth',
  // passport-google-oauth20 2.0.0 still defaults to the legacy www.googleapis.com/oauth2/v4/token.
  token: 'https://oauth2.googleapis.com/token',
  userInfo: 'https://openidconnect.googleapis.com/v1/userinfo',
} as const;

export const googleScope = ['openid', 'email', 'profile'] as const;

/** OpenID Connect userinfo claims to the profile; `email_verified` decides `emailVerified`. */
export function googleProfile(json: unknown): OAuthProfile {
  const claims = objectOf(json);
  const email = stringOrNull(claims.email);
  // Google sends a boolean; some older deployments sent the string "true".
  const verified = claims.email_verified === true || claims.email_verified === 'true';
  return {
    provider: 'google',
    id: idOf(claims.sub),
    name: stringOrNull(claims.name),
    username: null,
    avatarUrl: stringOrNull(claims.picture),
    email,
    emailVerified: email !== null && verified,
  };
}

export function googleStrategy(ctx: StrategyContext): OAuth2Strategy {
  const urls = resolveEndpoints(googleDefaults, ctx.client);
  const strategy = new GoogleStrategy(
    {
      ...baseOptions(ctx, 'google'),
      authorizationURL: urls.authorize,
      tokenURL: urls.token,
      userProfileURL: urls.userInfo,
      scope: [...(ctx.client.scope ?? googleScope)],
    },
    verifyProfile as never,
  );
  useTransport(strategy, ctx.transport);
  // The library's userProfile parses the userinfo reply safely; its result is then reduced to our profile.
  const libraryProfile = strategy.userProfile.bind(strategy);
  strategy.userProfile = function googleUserProfile(accessToken: string, done: ProfileDone) {
    libraryProfile(accessToken, (err, profile) => {
      if (err) return done(err);
      try {
        done(null, googleProfile((profile as { _json?: unknown } | undefined)?._json));
      } catch (error) {
        done(error instanceof Error ? error : providerError(error));
      }
    });
  } as typeof strategy.userProfile;
  return strategy;
}
