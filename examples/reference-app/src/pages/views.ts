import type { Config } from '../config/index.js';
import { captchaWidget } from './captcha-widget.js';
import { markup, type Html } from './html.js';
import { field, status, type PageParts } from './layout.js';

const passwordHint = 'At least 12 characters.';

export function homePage(): PageParts {
  return {
    title: 'Shieldwall reference app',
    script: 'home',
    main: markup`<p>The platform of the seed documents, built from the <code>@shieldwall</code> packages.</p>
      <p id="status" class="status" role="status" aria-live="polite">Loading.</p>
      <ul class="actions">
        <li><a class="button" href="/signup">Create an account</a></li>
        <li><a class="button secondary" href="/signin">Sign in</a></li>
      </ul>`,
  };
}

/** `?ref=` from a referral link: ten characters of the referral alphabet, else ignored. */
export function referralFrom(query: unknown): string | undefined {
  const ref = typeof query === 'object' && query !== null ? (query as { ref?: unknown }).ref : undefined;
  return typeof ref === 'string' && /^[0-9A-Z]{10}$/.test(ref) ? ref : undefined;
}

export function signUpPage(config: Config, referralCode: string | undefined): PageParts {
  const captcha = captchaWidget(config.captcha, 'register');
  return {
    title: 'Create an account',
    script: 'signup',
    captcha,
    main: markup`<form id="signup" novalidate>
        ${field('E-mail', 'email', 'email', { autocomplete: 'email' })}
        ${field('Password', 'password', 'password', { autocomplete: 'new-password', hint: passwordHint })}
        ${field('Referral code (optional)', 'referralCode', 'text', {
          required: false,
          autocomplete: 'off',
          pattern: '[0-9A-Z]{10}',
          ...(referralCode ? { value: referralCode } : {}),
        })}
        ${captcha?.element}
        <p><button type="submit">Create account</button></p>
      </form>
      <form id="stepup" hidden novalidate>
        <p id="stepup-sent"></p>
        ${field('Verification code', 'code', 'text', { autocomplete: 'one-time-code', pattern: '[0-9]{6}' })}
        <p><button type="submit">Confirm</button></p>
      </form>
      ${status('signup-status')}
      <p>Already registered? <a href="/signin">Sign in</a>.</p>`,
  };
}

const providerLabels: Record<string, string> = {
  google: 'Google',
  github: 'GitHub',
  vk: 'VK ID',
  yandex: 'Yandex',
  telegram: 'Telegram',
};

export function signInPage(config: Config): PageParts {
  const providers = Object.keys(config.oauth).filter((name) => name in providerLabels);
  const oauth: Html | '' =
    providers.length === 0
      ? ''
      : markup`<section aria-labelledby="oauth-title">
          <h2 id="oauth-title">Or continue with</h2>
          <ul class="actions">
            ${providers.map(
              (name) =>
                markup`<li>
                  <a class="button secondary" href="/api/auth/oauth/${name}">${providerLabels[name]}</a>
                </li>`,
            )}
          </ul>
        </section>`;
  return {
    title: 'Sign in',
    script: 'signin',
    main: markup`<form id="signin" novalidate>
        ${field('E-mail', 'email', 'email', { autocomplete: 'email' })}
        ${field('Password', 'password', 'password', { autocomplete: 'current-password' })}
        <p><button type="submit">Sign in</button></p>
      </form>
      <form id="challenge" hidden novalidate>
        <p id="challenge-sent"></p>
        ${field('Verification code', 'code', 'text', { autocomplete: 'one-time-code', pattern: '[0-9]{6}' })}
        <p><button type="submit">Confirm</button></p>
      </form>
      ${status('signin-status')} ${oauth}
      <p><a href="/reset-password">Forgot your password?</a> · <a href="/signup">Create an account</a></p>`,
  };
}

export function verifyEmailPage(): PageParts {
  return {
    title: 'Confirm your e-mail',
    script: 'verify-email',
    main: markup`${status('verify-status')}
      <p><a href="/signin">Sign in</a></p>`,
  };
}

export function resetPasswordPage(config: Config): PageParts {
  const captcha = captchaWidget(config.captcha, 'password_reset');
  return {
    title: 'Reset your password',
    script: 'reset-password',
    captcha,
    main: markup`<form id="reset-request" novalidate>
        <p>We will e-mail you a link to choose a new password.</p>
        ${field('E-mail', 'email', 'email', { autocomplete: 'email' })} ${captcha?.element}
        <p><button type="submit">Send the link</button></p>
      </form>
      <form id="reset-code" hidden novalidate>
        <p id="reset-code-sent"></p>
        ${field('Verification code', 'code', 'text', { autocomplete: 'one-time-code', pattern: '[0-9]{6}' })}
        <p><button type="submit">Confirm</button></p>
      </form>
      <form id="reset-confirm" hidden novalidate>
        ${field('New password', 'password', 'password', { autocomplete: 'new-password', hint: passwordHint })}
        <p><button type="submit">Set the password</button></p>
      </form>
      ${status('reset-status')}`,
  };
}

export function accountPage(): PageParts {
  return {
    title: 'Your account',
    script: 'account',
    main: markup`${status('account-status')}
      <section id="profile" aria-labelledby="profile-title" hidden>
        <h2 id="profile-title">Profile</h2>
        <p>Signed in as <strong id="me-email"></strong> <span id="me-verified"></span></p>
        <p id="me-phone-line" hidden>Phone: <strong id="me-phone"></strong> (verified)</p>
        <p class="actions">
          <button type="button" id="signout">Sign out</button>
          <button type="button" id="signout-all" class="secondary">Sign out everywhere</button>
        </p>
      </section>
      <section id="wallets" aria-labelledby="wallets-title" hidden>
        <h2 id="wallets-title">Wallets</h2>
        <p>Keys stay on the server, encrypted; every call here goes over the encrypted channel.</p>
        <ul id="wallet-list" class="list"></ul>
        <p><button type="button" id="wallet-create">Create a wallet</button></p>
        <form id="wallet-sign" novalidate>
          <p class="field">
            <label for="f-wallet">Wallet</label
            ><select id="f-wallet" name="wallet" required></select>
          </p>
          ${field('Message to sign', 'message', 'text', { autocomplete: 'off' })}
          <p><button type="submit">Sign the message</button></p>
        </form>
        <pre id="signature" class="output" hidden></pre>
        ${status('wallet-status')}
      </section>
      <section id="referrals" aria-labelledby="referrals-title" hidden>
        <h2 id="referrals-title">Referrals</h2>
        <p>Your link: <a id="referral-link" href="/signup"></a></p>
        <ul id="referral-list" class="list"></ul>
      </section>
      <section id="mfa" aria-labelledby="mfa-title" hidden>
        <h2 id="mfa-title">Two-factor authentication</h2>
        <p id="mfa-state"></p>
        <p><button type="button" id="mfa-start">Set up an authenticator app</button></p>
        <form id="mfa-confirm" hidden novalidate>
          <p>Scan this code with your authenticator app, or type the key.</p>
          <figure id="mfa-qr" class="qr"></figure>
          <p>Key: <code id="mfa-secret"></code></p>
          ${field('Code from the app', 'code', 'text', { autocomplete: 'one-time-code', pattern: '[0-9]{6}' })}
          <p><button type="submit">Turn on</button></p>
        </form>
        ${status('mfa-status')}
      </section>
      <section id="activities" aria-labelledby="activities-title" hidden>
        <h2 id="activities-title">Activities</h2>
        <p id="volume"></p>
        <p class="field" id="activity-code-field" hidden>
          <label for="f-activity-code">Authenticator code (needed to join once two-factor is on)</label>
          <input
            id="f-activity-code"
            name="activityCode"
            type="text"
            autocomplete="one-time-code"
            pattern="[0-9]{6}"
          />
        </p>
        <ul id="activity-list" class="list"></ul>
        ${status('activity-status')}
      </section>`,
  };
}
