import { Router, type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import type { JWTPayload } from 'jose';
import { Passport } from 'passport';
import type OAuth2Strategy from 'passport-oauth2';
import { ShieldwallError } from '@shieldwall/core';
import {
  accessDenied,
  exchangeError,
  failureError,
  invalidCallback,
  invalidStart,
  providerError,
} from './errors.js';
import { flowCookies, type FlowCookies } from './flow-cookie.js';
import { callbackUrl, oidcDefaults, parseOptions, type ParsedOptions } from './options.js';
import type { StrategyContext } from './providers/common.js';
import { githubStrategy } from './providers/github.js';
import { TelegramStrategy } from './providers/telegram.js';
import { vkStrategy } from './providers/vk-id.js';
import { yandexStrategy } from './providers/yandex.js';
import { authenticate, describeError, type PassportInstance } from './passport-run.js';
import { telegramCallback, telegramStart } from './telegram-routes.js';
import { flowContext } from './transport.js';
import { oidcClient } from './oidc/client.js';
import { jwks } from './oidc/jwks.js';
import { genericProfile, googleProfile, telegramProfile } from './oidc/profiles.js';
import { oidcCallback, oidcStart } from './oidc/routes.js';
import type { OAuthProfile, OAuthProvidersOptions, OAuthProviderName } from './types.js';

type OAuthName = Exclude<OAuthProviderName, 'telegram' | 'google'>;

const builders: Record<OAuthName, (ctx: StrategyContext) => OAuth2Strategy> = {
  github: githubStrategy,
  vk: vkStrategy,
  yandex: yandexStrategy,
};

const profiles = {
  google: () => googleProfile,
  telegram: () => telegramProfile,
  generic: (name: string) => (claims: JWTPayload) => genericProfile(name, claims),
};

/** A router with `close()`, which releases the memory store it made when none was passed. */
export type OAuthProvidersRouter = Router & { close(): Promise<void> };

/**
 * Mounts `GET <basePath>/<provider>` (redirect to the provider with state and PKCE) and
 * `GET <basePath>/<provider>/callback` (state check, code exchange, profile, `onProfile`) for every configured
 * provider. No server session: the flow lives in a signed, single-use, short-lived cookie.
 */
export function oauthProviders(options: Readonly<OAuthProvidersOptions>): OAuthProvidersRouter {
  const config = parseOptions(options);
  const cookies = flowCookies({
    key: config.key,
    secure: config.secure,
    ttlMs: config.stateTtlMs,
    clock: config.clock,
    store: config.store,
  });
  // A private passport instance: nothing global, no session, no serializeUser.
  const passport = new Passport();
  const router = Router() as OAuthProvidersRouter;

  for (const name of Object.keys(config.clients) as OAuthName[]) {
    const strategy = builders[name]({
      client: config.clients[name]!,
      callbackURL: callbackUrl(config, name),
      cookies,
      transport: { fetch: config.fetch, timeoutMs: config.timeoutMs },
    });
    passport.use(name, strategy);
    router.get(`${config.basePath}/${name}`, startHandler(passport, name, config));
    router.get(`${config.basePath}/${name}/callback`, callbackHandler(passport, name, config, cookies));
  }
  // One key cache for all OpenID providers, keyed by JWKS URI.
  const keys = jwks({
    transport: { fetch: config.fetch, timeoutMs: config.timeoutMs },
    clock: config.clock,
    maxAgeMs: 3_600_000,
    refreshMs: config.jwksRefreshMs,
  });
  for (const [name, parsed] of Object.entries(config.oidc)) {
    const client = oidcClient(
      {
        ...parsed,
        // Google documents ID tokens whose `iss` is the bare host as well as the https URL.
        issuerAliases:
          parsed.kind === 'google' && parsed.issuer === oidcDefaults.google.issuer
            ? ['accounts.google.com']
            : [],
        redirectUri: callbackUrl(config, name),
        profile: profiles[parsed.kind](name),
      },
      {
        transport: { fetch: config.fetch, timeoutMs: config.timeoutMs },
        clock: config.clock,
        jwks: keys,
        discoveryTtlMs: 3_600_000,
        idTokenMaxAgeSeconds: 600,
        skewSeconds: 60,
      },
    );
    router.get(`${config.basePath}/${name}`, oidcStart(client, name, config, cookies));
    router.get(`${config.basePath}/${name}/callback`, oidcCallback(client, name, config, cookies));
  }
  if (config.telegram) {
    passport.use(
      'telegram',
      new TelegramStrategy({
        botToken: config.telegram.botToken,
        maxAgeSeconds: config.telegram.maxAgeSeconds,
        clock: config.clock,
      }),
    );
    router.get(`${config.basePath}/telegram`, telegramStart(config, cookies));
    router.get(`${config.basePath}/telegram/callback`, telegramCallback(passport, config, cookies));
  }
  router.close = async () => {
    await config.ownStore?.close();
  };
  return router;
}

const hasAny = (req: Request, names: readonly string[]): boolean =>
  names.some((n) => req.query[n] !== undefined);

function startHandler(passport: PassportInstance, name: OAuthName, config: ParsedOptions): RequestHandler {
  return function oauthStart(req, res, next) {
    // passport treats a request carrying `code` or `error` as a callback; the start route never does.
    if (hasAny(req, ['code', 'error', 'state'])) return config.refuse(invalidStart(), req, res, next);
    authenticate(passport, name, { session: false }, (err: unknown) => {
      config.refuse(
        err ? exchangeError(err) : new ShieldwallError(500, 'internal_error', 'Sign-in could not start.'),
        req,
        res,
        next,
      );
    })(req, res, next);
  };
}

function finish(
  config: ParsedOptions,
  name: OAuthProviderName,
  req: Request,
  res: Response,
  next: NextFunction,
): (err: unknown, profile?: OAuthProfile | false, info?: unknown) => void {
  return (err, profile, info) => {
    if (err || !profile) {
      const error = err ? exchangeError(err) : failureError(info);
      if (error.status >= 500)
        config.logger.warn('oauth provider failure', {
          provider: name,
          code: error.code,
          cause: describeError(err),
        });
      return config.refuse(error, req, res, next);
    }
    config.onProfile(profile, req, res).then(() => {
      if (!res.headersSent) res.redirect(302, config.successRedirect);
    }, next);
  };
}

function callbackHandler(
  passport: PassportInstance,
  name: OAuthName,
  config: ParsedOptions,
  cookies: FlowCookies,
): RequestHandler {
  return function oauthCallback(req, res, next) {
    const { error, code, state } = req.query;
    if (error !== undefined) {
      cookies.clear(res, name);
      if (error === 'access_denied') return config.refuse(accessDenied(), req, res, next);
      config.logger.warn('oauth provider error redirect', { provider: name });
      return next(providerError());
    }
    const deviceId = req.query.device_id;
    const malformed =
      typeof code !== 'string' ||
      code === '' ||
      (state !== undefined && typeof state !== 'string') ||
      (name === 'vk' && (typeof deviceId !== 'string' || deviceId === ''));
    if (malformed) {
      cookies.clear(res, name);
      return config.refuse(invalidCallback(), req, res, next);
    }
    const extras = name === 'vk' ? { vkDeviceId: deviceId as string, vkState: state as string } : {};
    flowContext.run(
      { fail: (err) => (res.headersSent ? undefined : config.refuse(exchangeError(err), req, res, next)) },
      () => {
        authenticate(
          passport,
          name,
          { session: false, ...extras },
          finish(config, name, req, res, next),
        )(req, res, next);
      },
    );
  };
}
