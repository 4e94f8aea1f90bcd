// The configured provider's widget, read from the #captcha element the server rendered (provider, site key,
// action). A token is asked for at action time, not page load: tokens live two to five minutes and verify once.

interface Recaptcha {
  ready(callback: () => void): void;
  execute(siteKey: string, options: { action: string }): Promise<string>;
}
interface WidgetApi {
  getResponse(widget?: string): string | undefined;
  reset(widget?: string): void;
}
type CaptchaWindow = Window & {
  grecaptcha?: Recaptcha & { enterprise?: Recaptcha };
  hcaptcha?: WidgetApi;
  turnstile?: WidgetApi;
};

export class CaptchaUnavailable extends Error {}

function widgetElement(): HTMLElement | null {
  return document.getElementById('captcha');
}

/** Waits (up to 10 s) for the provider's script, which loads async. */
async function loaded<T>(read: () => T | undefined): Promise<T> {
  for (let i = 0; i < 100; i++) {
    const api = read();
    if (api) return api;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new CaptchaUnavailable('The anti-bot check did not load. Reload the page and try again.');
}

/** A fresh token for the page's action, or undefined when the app runs without a CAPTCHA provider. */
export async function captchaToken(): Promise<string | undefined> {
  const element = widgetElement();
  if (!element) return undefined;
  const { provider = '', sitekey = '', action = '' } = element.dataset;
  const w = window as CaptchaWindow;
  if (provider === 'recaptcha' || provider === 'recaptcha-enterprise') {
    const api = await loaded(() => (provider === 'recaptcha' ? w.grecaptcha : w.grecaptcha?.enterprise));
    await new Promise<void>((resolve) => api.ready(resolve));
    return api.execute(sitekey, { action });
  }
  const api = await loaded(() => (provider === 'hcaptcha' ? w.hcaptcha : w.turnstile));
  const token = api.getResponse();
  if (!token) throw new CaptchaUnavailable('Complete the anti-bot check first.');
  return token;
}

/** A token verifies once: after a refused request, the widget needs a new one. */
export function resetCaptcha(): void {
  const { provider } = widgetElement()?.dataset ?? {};
  const w = window as CaptchaWindow;
  if (provider === 'hcaptcha') w.hcaptcha?.reset();
  if (provider === 'turnstile') w.turnstile?.reset();
}
