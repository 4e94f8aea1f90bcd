import type { CaptchaProvider, Config } from '../config/index.js';
import { markup, type Html } from './html.js';

export interface CspSources {
  scriptSrc: string[];
  frameSrc: string[];
  styleSrc: string[];
  connectSrc: string[];
}

const none: CspSources = { scriptSrc: [], frameSrc: [], styleSrc: [], connectSrc: [] };

// Each provider's documented CSP allowlist, and nothing more:
// - reCAPTCHA (v3 and Enterprise), Google's FAQ: script-src https://www.google.com/recaptcha/
//   https://www.gstatic.com/recaptcha/; frame-src https://www.google.com/recaptcha/ https://recaptcha.google.com/recaptcha/
// - hCaptcha's docs: script-src, frame-src, style-src and connect-src https://hcaptcha.com https://*.hcaptcha.com
// - Turnstile's docs (reference/content-security-policy): script-src and frame-src https://challenges.cloudflare.com
const google = {
  scriptSrc: ['https://www.google.com/recaptcha/', 'https://www.gstatic.com/recaptcha/'],
  frameSrc: ['https://www.google.com/recaptcha/', 'https://recaptcha.google.com/recaptcha/'],
  styleSrc: [],
  connectSrc: [],
};
const hcaptchaHosts = ['https://hcaptcha.com', 'https://*.hcaptcha.com'];
const documented: Record<CaptchaProvider, CspSources> = {
  recaptcha: google,
  'recaptcha-enterprise': google,
  hcaptcha: {
    scriptSrc: hcaptchaHosts,
    frameSrc: hcaptchaHosts,
    styleSrc: hcaptchaHosts,
    connectSrc: hcaptchaHosts,
  },
  turnstile: {
    scriptSrc: ['https://challenges.cloudflare.com'],
    frameSrc: ['https://challenges.cloudflare.com'],
    styleSrc: [],
    connectSrc: [],
  },
};

const scripts: Record<CaptchaProvider, (siteKey: string) => string> = {
  recaptcha: (key) => `https://www.google.com/recaptcha/api.js?render=${encodeURIComponent(key)}`,
  'recaptcha-enterprise': (key) =>
    `https://www.google.com/recaptcha/enterprise.js?render=${encodeURIComponent(key)}`,
  hcaptcha: () => 'https://js.hcaptcha.com/1/api.js',
  turnstile: () => 'https://challenges.cloudflare.com/turnstile/v0/api.js',
};

/**
 * What the page CSP opens for the configured CAPTCHA provider: its documented sources, or, when CAPTCHA_SCRIPT_URL
 * replaces the widget script (tests on loopback), that script's origin only. Nothing without a provider.
 */
export function captchaCspSources(captcha: Config['captcha']): CspSources {
  if (!captcha) return none;
  if (captcha.scriptUrl) {
    const origin = new URL(captcha.scriptUrl).origin;
    return { scriptSrc: [origin], frameSrc: [origin], styleSrc: [], connectSrc: [] };
  }
  return documented[captcha.provider];
}

export interface CaptchaWidget {
  /** The provider's script, loaded with the page's nonce. */
  scriptUrl: string;
  /** The element the client module reads (provider, site key, action) and the provider renders its widget in. */
  element: Html;
}

/** The widget for one action, or undefined when no provider is configured (development without a CAPTCHA). */
export function captchaWidget(captcha: Config['captcha'], action: string): CaptchaWidget | undefined {
  if (!captcha) return undefined;
  const siteKey = captcha.siteKey ?? '';
  const scriptUrl = captcha.scriptUrl ?? scripts[captcha.provider](siteKey);
  // hCaptcha and Turnstile render a widget into an element with their class; reCAPTCHA v3 shows only its badge.
  const className =
    captcha.provider === 'hcaptcha' ? 'h-captcha' : captcha.provider === 'turnstile' ? 'cf-turnstile' : '';
  return {
    scriptUrl,
    element: markup`<div
      id="captcha"
      class="${className}"
      data-provider="${captcha.provider}"
      data-sitekey="${siteKey}"
      data-action="${action}"
    ></div>`,
  };
}
