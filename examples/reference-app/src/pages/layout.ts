import type { Response } from 'express';
import type { Assets, ClientEntry } from './assets.js';
import type { CaptchaWidget } from './captcha-widget.js';
import { markup, type Html } from './html.js';

export interface PageParts {
  title: string;
  /** The page's own client module (bundled from `client/<name>.ts`). */
  script: ClientEntry;
  main: Html;
  captcha?: CaptchaWidget | undefined;
}

const nav = [
  ['/', 'Home'],
  ['/signup', 'Sign up'],
  ['/signin', 'Sign in'],
  ['/account', 'Account'],
] as const;

/**
 * The shared layout: the CSRF token for the key exchange (002: embedded in the page, never a cookie), the app's
 * stylesheet and script with Subresource Integrity, each script with the request's CSP nonce.
 */
export function layout(res: Response, assets: Assets, parts: PageParts): string {
  const { cspNonce, csrfToken } = res.locals as { cspNonce?: string; csrfToken?: string };
  const script = assets.script(parts.script);
  const current = res.req.path === '/' ? '/' : res.req.path.replace(/\/$/, '');
  return markup`<!doctype html>
    <html lang="en">
      <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>${parts.title} · Shieldwall</title>
        ${csrfToken !== undefined && markup`<meta name="csrf-token" content="${csrfToken}">`}
        <link rel="stylesheet" href="${assets.style.path}" integrity="${assets.style.integrity}">
        <script nonce="${cspNonce}" src="${script.path}" integrity="${script.integrity}" defer></script>
        ${parts.captcha && markup`<script nonce="${cspNonce}" src="${parts.captcha.scriptUrl}" async defer></script>`}
      </head>
      <body>
        <header class="top">
          <a class="brand" href="/">Shieldwall</a>
          <nav aria-label="Main">
            ${nav.map(
              ([href, label]) =>
                markup`<a href="${href}" ${current === href ? markup` aria-current="page"` : ''}>${label}</a> `,
            )}
          </nav>
        </header>
        <main id="main">
          <h1>${parts.title}</h1>
          ${parts.main}
        </main>
      </body>
    </html> `.value;
}

/** A labelled input. */
export function field(
  label: string,
  name: string,
  type: string,
  extra: { autocomplete?: string; value?: string; required?: boolean; hint?: string; pattern?: string } = {},
): Html {
  const id = `f-${name}`;
  return markup`<p class="field">
    <label for="${id}">${label}</label>
    <input
      id="${id}"
      name="${name}"
      type="${type}"
      ${extra.autocomplete ? markup` autocomplete="${extra.autocomplete}"` : ''}${extra.value ? markup` value="${extra.value}"` : ''}${extra.pattern ? markup` pattern="${extra.pattern}"` : ''}${extra.required === false ? '' : markup` required`}${extra.hint ? markup` aria-describedby="${id}-hint"` : ''}
    />
    ${extra.hint && markup`<small id="${id}-hint">${extra.hint}</small>`}
  </p>`;
}

/** Where a form's client module writes its outcome: announced to screen readers. */
export function status(id: string): Html {
  return markup`<p id="${id}" class="status" role="status" aria-live="polite"></p>`;
}
