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

// VK ID (OAuth 2.1), not the legacy oauth.vk.com flow that passport-vkontakte hard-codes: PKCE is mandatory, the
// redirect back carries a `device_id` that the code exchange must repeat, and the profile comes from a POST.

export const vkDefaults = {
  authorize: 'https://id.vk.com/authorize',
  token: 'https://id.vk.com/oauth2/auth',
  userInfo: 'https://id.vk.com/oauth2/user_info',
} as const;

export const vkScope = ['vkid.personal_info', 'email'] as const;

const form = { 'Content-Type': 'application/x-www-form-urlencoded' };

/** VK ID has no "verified" flag on the e-mail, so it is never reported as verified. */
export function vkProfile(json: unknown): OAuthProfile {
  const user = objectOf(objectOf(json).user);
  const name = [stringOrNull(user.first_name), stringOrNull(user.last_name)].filter(Boolean).join(' ');
  return {
    provider: 'vk',
    id: idOf(user.user_id),
    name: name || null,
    username: null,
    avatarUrl: stringOrNull(user.avatar),
    email: stringOrNull(user.email),
    emailVerified: false,
    phone: null,
    phoneVerified: false,
  };
}

/** Authenticate options the router passes on the callback: what VK ID wants repeated in the exchange. */
export interface VkTokenOptions {
  vkDeviceId?: string;
  vkState?: string;
}

class VkIdStrategy extends OAuth2Strategy {
  override tokenParams(options: VkTokenOptions): object {
    return { device_id: options.vkDeviceId, state: options.vkState };
  }
}

export function vkStrategy(ctx: StrategyContext): OAuth2Strategy {
  const urls = resolveEndpoints(vkDefaults, ctx.client);
  const strategy = new VkIdStrategy(
    {
      ...baseOptions(ctx, 'vk'),
      authorizationURL: urls.authorize,
      tokenURL: urls.token,
      scope: [...(ctx.client.scope ?? vkScope)],
    },
    verifyProfile as never,
  );
  strategy.name = 'vk';
  const oauth2 = useTransport(strategy, ctx.transport);
  const clientId = ctx.client.clientId;

  // The exact form VK ID documents; node-oauth would add client_secret, which the PKCE web flow does not use.
  (oauth2 as unknown as { getOAuthAccessToken: unknown }).getOAuthAccessToken = function vkExchange(
    code: string,
    params: Record<string, string | undefined>,
    callback: (err: unknown, accessToken?: string, refreshToken?: string, results?: object) => void,
  ): void {
    const body = new URLSearchParams({
      grant_type: 'authorization_code',
      code,
      code_verifier: params.code_verifier ?? '',
      client_id: clientId,
      device_id: params.device_id ?? '',
      redirect_uri: params.redirect_uri ?? '',
      state: params.state ?? '',
    }).toString();
    oauth2._request('POST', urls.token, form, body, null, (err, text) => {
      if (err) return callback(err);
      try {
        const json = JSON.parse(text ?? '') as { access_token?: string; refresh_token?: string };
        callback(null, json.access_token, json.refresh_token, {});
      } catch {
        callback(new Error('VK ID token response is not JSON'));
      }
    });
  };

  strategy.userProfile = function vkUserProfile(accessToken: string, done: ProfileDone) {
    // VK ID takes the token in the form body, not a header.
    const body = new URLSearchParams({ access_token: accessToken, client_id: clientId }).toString();
    settle(requestJson(oauth2, 'POST', urls.userInfo, form, body, null).then(vkProfile), done);
  } as typeof strategy.userProfile;
  return strategy;
}
