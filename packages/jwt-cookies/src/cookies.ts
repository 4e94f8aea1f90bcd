import type { IncomingMessage } from 'node:http';
import type { Response } from 'express';
import { parseCookie, stringifySetCookie } from 'cookie';
import type { ResolvedOptions } from './options.js';

export interface CookieJar {
  read(req: IncomingMessage): { access: string | undefined; refresh: string | undefined };
  setAccess(res: Response, token: string): void;
  setRefresh(res: Response, token: string, maxAgeSeconds: number): void;
  /** Clears both cookies with the same name, path and flags they were set with (else browsers keep them). */
  clear(res: Response): void;
}

export function cookieJar(o: ResolvedOptions): CookieJar {
  const flags = { httpOnly: true, secure: o.secure, sameSite: o.sameSite } as const;
  // `__Host-` needs Path=/ and no Domain; the refresh cookie is scoped to the auth path, hence `__Secure-`.
  const access = { ...flags, path: '/' };
  const refresh = { ...flags, path: o.refreshPath };
  const expired = { maxAge: 0, expires: new Date(0) };
  const clearAccess = stringifySetCookie(o.accessName, '', { ...access, ...expired });
  const clearRefresh = stringifySetCookie(o.refreshName, '', { ...refresh, ...expired });

  const noStore = (res: Response): void => {
    res.setHeader('Cache-Control', 'no-store');
  };

  return {
    read(req) {
      const header = req.headers.cookie;
      if (!header) return { access: undefined, refresh: undefined };
      const jar = parseCookie(header);
      return { access: jar[o.accessName] || undefined, refresh: jar[o.refreshName] || undefined };
    },
    setAccess(res, token) {
      noStore(res);
      res.append('Set-Cookie', stringifySetCookie(o.accessName, token, { ...access, maxAge: o.accessTtl }));
    },
    setRefresh(res, token, maxAgeSeconds) {
      noStore(res);
      res.append(
        'Set-Cookie',
        stringifySetCookie(o.refreshName, token, { ...refresh, maxAge: maxAgeSeconds }),
      );
    },
    clear(res) {
      noStore(res);
      res.append('Set-Cookie', [clearAccess, clearRefresh]);
    },
  };
}
