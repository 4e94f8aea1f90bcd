import OAuth2Strategy from 'passport-oauth2';
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

// Yandex ID. passport-yandex puts the token in the `oauth_token` query parameter, which Yandex calls insecure;
// here it goes in `Authorization: OAuth <token>`. PKCE is optional at Yandex and used anyway.

export const yandexDefaults = {
  authorize: 'https://oauth.yandex.ru/authorize',
  token: 'https://oauth.yandex.ru/token',
  userInfo: 'https://login.yandex.ru/info?format=json',
} as const;

export const yandexScope = ['login:info', 'login:email', 'login:avatar'] as const;

const avatarBase = 'https://avatars.yandex.net/get-yapic/';

/** Yandex documents no verification flag for `default_email`, so it is reported unverified. */
export function yandexProfile(json: unknown): OAuthProfile {
  const info = objectOf(json);
  const avatarId = stringOrNull(info.default_avatar_id);
  return {
    provider: 'yandex',
    id: idOf(info.id),
    name: stringOrNull(info.display_name) ?? stringOrNull(info.real_name),
    username: stringOrNull(info.login),
    avatarUrl:
      avatarId && info.is_avatar_empty !== true
        ? `${avatarBase}${encodeURIComponent(avatarId)}/islands-200`
        : null,
    email: stringOrNull(info.default_email),
    emailVerified: false,
    phone: null,
    phoneVerified: false,
  };
}

export function yandexStrategy(ctx: StrategyContext): OAuth2Strategy {
  const urls = resolveEndpoints(yandexDefaults, ctx.client);
  const strategy = new OAuth2Strategy(
    {
      ...baseOptions(ctx, 'yandex'),
      authorizationURL: urls.authorize,
      tokenURL: urls.token,
      scope: [...(ctx.client.scope ?? yandexScope)],
    },
    verifyProfile as never,
  );
  strategy.name = 'yandex';
  const oauth2 = useTransport(strategy, ctx.transport);
  oauth2.setAuthMethod('OAuth');
  strategy.userProfile = function yandexUserProfile(accessToken: string, done: ProfileDone) {
    settle(requestJson(oauth2, 'GET', urls.userInfo, {}, null, accessToken).then(yandexProfile), done);
  } as typeof strategy.userProfile;
  return strategy;
}
