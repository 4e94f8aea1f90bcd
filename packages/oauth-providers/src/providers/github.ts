import { Strategy as GitHubStrategy } from 'passport-github2';
import type OAuth2Strategy from 'passport-oauth2';
import type { OAuthProfile } from '../types.js';
import {
  baseOptions,
  idOf,
  objectOf,
  requestJson,
  resolveEndpoints,
  settle,
  stringOrNull,
  useTransport,
  verifyProfile,
  type ProfileDone,
  type StrategyContext,
} from './common.js';

export const githubDefaults = {
  authorize: 'https://github.com/login/oauth/authorize',
  token: 'https://github.com/login/oauth/access_token',
  userInfo: 'https://api.github.com/user',
  emails: 'https://api.github.com/user/emails',
} as const;

export const githubScope = ['read:user', 'user:email'] as const;

interface GitHubEmail {
  email: string;
  primary: boolean;
  verified: boolean;
}

/**
 * Picks the e-mail to report. passport-github2 takes the primary address without looking at `verified`; here
 * the primary counts only when verified, else another verified address; an unverified address is reported with
 * `emailVerified: false`, never as verified.
 */
export function chooseGitHubEmail(
  list: unknown,
  publicEmail: string | null,
): { email: string | null; emailVerified: boolean } {
  const emails: GitHubEmail[] = Array.isArray(list)
    ? list.filter(
        (e): e is GitHubEmail =>
          typeof e === 'object' && e !== null && typeof (e as GitHubEmail).email === 'string',
      )
    : [];
  const verified =
    emails.find((e) => e.primary === true && e.verified === true) ?? emails.find((e) => e.verified === true);
  if (verified) return { email: verified.email, emailVerified: true };
  const primary = emails.find((e) => e.primary === true);
  return { email: primary?.email ?? publicEmail, emailVerified: false };
}

export function githubStrategy(ctx: StrategyContext): OAuth2Strategy {
  const urls = resolveEndpoints(githubDefaults, ctx.client);
  const strategy = new GitHubStrategy(
    {
      ...baseOptions(ctx, 'github'),
      authorizationURL: urls.authorize,
      tokenURL: urls.token,
      userProfileURL: urls.userInfo,
      scope: [...(ctx.client.scope ?? githubScope)],
    },
    verifyProfile as never,
  );
  const oauth2 = useTransport(strategy, ctx.transport);
  const headers = { Accept: 'application/vnd.github+json' };
  strategy.userProfile = function githubUserProfile(accessToken: string, done: ProfileDone) {
    const load = (async (): Promise<OAuthProfile> => {
      // The token goes in the Authorization header (the transport never puts it in a query string).
      const user = objectOf(await requestJson(oauth2, 'GET', urls.userInfo, headers, null, accessToken));
      const emails = await requestJson(oauth2, 'GET', urls.emails, headers, null, accessToken);
      return {
        provider: 'github',
        id: idOf(user.id),
        name: stringOrNull(user.name) ?? stringOrNull(user.login),
        username: stringOrNull(user.login),
        avatarUrl: stringOrNull(user.avatar_url),
        ...chooseGitHubEmail(emails, stringOrNull(user.email)),
        phone: null,
        phoneVerified: false,
      };
    })();
    settle(load, done);
  } as typeof strategy.userProfile;
  return strategy;
}
