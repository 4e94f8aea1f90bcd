import { createHash } from 'node:crypto';
import { Router, type NextFunction, type Request, type RequestHandler, type Response } from 'express';
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
  telegramExpired,
} from './errors.js';
import { flowCookies, type FlowCookies } from './flow-cookie.js';
import { parseOptions, type ParsedOptions } from './options.js';
import type { StrategyContext } from './providers/common.js';
import { githubStrategy } from './providers/github.js';
import { googleStrategy } from './providers/google.js';
import { TelegramStrategy } from './providers/telegram.js';
import { vkStrategy } from './providers/vk-id.js';
import { yandexStrategy } from './providers/yandex.js';
import { flowContext } from './transport.js';
import type { OAuthProfile, OAuthProvidersOptions, OAuthProviderName } from './types.js';

type OAuthName = Exclude<OAuthProviderName, 'telegram'>;
type PassportInstance = InstanceType<typeof Passport>;

const builders: Record<OAuthName, (ctx: StrategyContext) => OAuth2Strategy> = {
  google: googleStrategy,
  github: githubStrategy,
  vk: vkStrategy,
  yandex: yandexStrategy,
};

/** A router with `closeStore()` for the memory store it made when none was passed. */
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
  const callbackUrl = (name: OAuthProviderName): string =>
    `${config.origin}${config.basePath}/${name}/callback`;

  for (const name of Object.keys(config.clients) as OAuthName[]) {
    const strategy = builders[name]({
      client: config.clients[name]!,
      callbackURL: callbackUrl(name),
      cookies,
      transport: { fetch: config.fetch, timeoutMs: config.timeoutMs },
    });
    passport.use(name, strategy);
    router.get(`${config.basePath}/${name}`, startHandler(passport, name));
    router.get(`${config.basePath}/${name}/callback`, callbackHandler(passport, name, config, cookies));
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

/** passport types `authenticate()` as any; it is a plain (req, res, next) handler. */
function authenticate(
  passport: PassportInstance,
  name: string,
  options: object,
  callback: (err: unknown, user?: OAuthProfile | false, info?: unknown) => void,
): RequestHandler {
  return passport.authenticate(name, options, callback) as RequestHandler;
}

const hasAny = (req: Request, names: readonly string[]): boolean =>
  names.some((n) => req.query[n] !== undefined);

function startHandler(passport: PassportInstance, name: OAuthName): RequestHandler {
  return function oauthStart(req, res, next) {
    // passport treats a request carrying `code` or `error` as a callback; the start route never does.
    if (hasAny(req, ['code', 'error', 'state'])) return next(invalidStart());
    authenticate(passport, name, { session: false }, (err: unknown) => {
      next(err ? exchangeError(err) : new ShieldwallError(500, 'internal_error', 'Sign-in could not start.'));
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
          cause: describe(err),
        });
      return next(error);
    }
    config.onProfile(profile, req, res).then(() => {
      if (!res.headersSent) res.redirect(302, config.successRedirect);
    }, next);
  };
}

/** Error names and provider error codes only: never messages or bodies, which could quote tokens. */
function describe(err: unknown): Record<string, unknown> | undefined {
  if (!(err instanceof Error)) return undefined;
  const cause = err.cause instanceof Error ? err.cause : (err as { oauthError?: unknown }).oauthError;
  return {
    name: err.name,
    ...(typeof (err as unknown as { code?: unknown }).code === 'string'
      ? { code: (err as unknown as { code: string }).code }
      : {}),
    ...(cause instanceof Error ? { cause: cause.name } : {}),
    ...(typeof (cause as { statusCode?: unknown })?.statusCode === 'number'
      ? { status: (cause as { statusCode: number }).statusCode }
      : {}),
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
      if (error === 'access_denied') return next(accessDenied());
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
      return next(invalidCallback());
    }
    const extras = name === 'vk' ? { vkDeviceId: deviceId as string, vkState: state as string } : {};
    flowContext.run({ fail: (err) => (res.headersSent ? undefined : next(exchangeError(err))) }, () => {
      authenticate(
        passport,
        name,
        { session: false, ...extras },
        finish(config, name, req, res, next),
      )(req, res, next);
    });
  };
}

// Telegram has no authorization code: oauth.telegram.org sends the signed user data back in the URL fragment
// (`#tgAuthResult=`), which browsers do not send to servers. The callback answers a request without parameters
// with a tiny relay page that moves the fragment into the query string, under a CSP that allows only that script.
const relayScript =
  "var m=/[#&]tgAuthResult=([^&]*)/.exec(location.hash);location.replace(location.pathname+(m?'?tgAuthResult='+m[1]:'?error=access_denied'));";
const relayHash = createHash('sha256').update(relayScript).digest('base64');
const relayPage = `<!doctype html><meta charset="utf-8"><title>Signing in</title><script>${relayScript}</script>`;

function telegramStart(config: ParsedOptions, cookies: FlowCookies): RequestHandler {
  const base = (config.telegram!.baseUrl ?? 'https://oauth.telegram.org').replace(/\/+$/, '');
  const target = new URL(`${base}/auth`);
  target.searchParams.set('bot_id', config.telegram!.botId);
  target.searchParams.set('origin', config.origin);
  target.searchParams.set('return_to', callbackUrl(config, 'telegram'));
  target.searchParams.set('request_access', 'write');
  const location = target.href;
  return function telegramStartHandler(req, res, next) {
    if (Object.keys(req.query).length > 0) return next(invalidStart());
    cookies.start(res, 'telegram', '');
    res.setHeader('Cache-Control', 'no-store');
    res.redirect(302, location);
  };
}

function callbackUrl(config: ParsedOptions, name: OAuthProviderName): string {
  return `${config.origin}${config.basePath}/${name}/callback`;
}

function telegramCallback(
  passport: PassportInstance,
  config: ParsedOptions,
  cookies: FlowCookies,
): RequestHandler {
  const hashTtlMs = config.telegram!.maxAgeSeconds * 1000 + 60_000;
  return async function telegramCallbackHandler(req, res, next) {
    try {
      if (Object.keys(req.query).length === 0) {
        res.setHeader('Content-Security-Policy', `default-src 'none'; script-src 'sha256-${relayHash}'`);
        res.setHeader('Cache-Control', 'no-store');
        res.type('html').send(relayPage);
        return;
      }
      if (req.query.error !== undefined) {
        cookies.clear(res, 'telegram');
        return next(accessDenied());
      }
      // The flow cookie binds the login to a sign-in this browser started (no login CSRF with someone else's
      // valid payload), and is single-use.
      const flow = await cookies.consume(req, res, 'telegram', undefined);
      if (!flow) return next(failureError({ code: 'oauth_state_mismatch' }));
      authenticate(
        passport,
        'telegram',
        { session: false },
        (err: unknown, profile?: OAuthProfile | false, info?: unknown) => {
          if (err || !profile) return next(err ? exchangeError(err) : failureError(info));
          const hash = (info as { hash: string }).hash;
          // A signed payload is valid for maxAgeSeconds; it is accepted once.
          config.store
            .setIfAbsent(`tg:${hash}`, '1', hashTtlMs)
            .then((first) => {
              if (!first) return next(telegramExpired());
              return config.onProfile(profile, req, res).then(() => {
                if (!res.headersSent) res.redirect(302, config.successRedirect);
              });
            })
            .catch(next);
        },
      )(req, res, next);
    } catch (err) {
      next(err);
    }
  };
}
