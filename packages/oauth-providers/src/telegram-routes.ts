import { createHash } from 'node:crypto';
import type { RequestHandler } from 'express';
import { accessDenied, exchangeError, failureError, invalidStart, telegramExpired } from './errors.js';
import type { FlowCookies } from './flow-cookie.js';
import { callbackUrl, type ParsedOptions } from './options.js';
import { authenticate, type PassportInstance } from './passport-run.js';
import type { OAuthProfile } from './types.js';

// Telegram has no authorization code: oauth.telegram.org sends the signed user data back in the URL fragment
// (`#tgAuthResult=`), which browsers do not send to servers. The callback answers a request without parameters
// with a tiny relay page that moves the fragment into the query string, under a CSP that allows only that script.
const relayScript =
  "var m=/[#&]tgAuthResult=([^&]*)/.exec(location.hash),q='?error=access_denied';" +
  "try{if(m)q='?tgAuthResult='+encodeURIComponent(decodeURIComponent(m[1]))}catch(e){}" +
  'location.replace(location.pathname+q);';
const relayHash = createHash('sha256').update(relayScript).digest('base64');
const relayPage = `<!doctype html><meta charset="utf-8"><title>Signing in</title><script>${relayScript}</script>`;

export function telegramStart(config: ParsedOptions, cookies: FlowCookies): RequestHandler {
  const base = (config.telegram!.baseUrl ?? 'https://oauth.telegram.org').replace(/\/+$/, '');
  const target = new URL(`${base}/auth`);
  target.searchParams.set('bot_id', config.telegram!.botId);
  target.searchParams.set('origin', config.origin);
  target.searchParams.set('return_to', callbackUrl(config, 'telegram'));
  target.searchParams.set('request_access', 'write');
  const location = target.href;
  return function telegramStartHandler(req, res, next) {
    if (Object.keys(req.query).length > 0) return config.refuse(invalidStart(), req, res, next);
    cookies.start(res, 'telegram', '');
    res.setHeader('Cache-Control', 'no-store');
    res.redirect(302, location);
  };
}

export function telegramCallback(
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
        return config.refuse(accessDenied(), req, res, next);
      }
      // The flow cookie binds the login to a sign-in this browser started (no login CSRF with someone else's
      // valid payload), and is single-use.
      const flow = await cookies.consume(req, res, 'telegram', undefined);
      if (!flow) return config.refuse(failureError({ code: 'oauth_state_mismatch' }), req, res, next);
      authenticate(
        passport,
        'telegram',
        { session: false },
        (err: unknown, profile?: OAuthProfile | false, info?: unknown) => {
          if (err || !profile)
            return config.refuse(err ? exchangeError(err) : failureError(info), req, res, next);
          const hash = (info as { hash: string }).hash;
          // A signed payload is valid for maxAgeSeconds; it is accepted once.
          config.store
            .setIfAbsent(`tg:${hash}`, '1', hashTtlMs)
            .then((first) => {
              if (!first) return config.refuse(telegramExpired(), req, res, next);
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
