import { postJson, sentence } from './api.js';
import { captchaToken, CaptchaUnavailable, resetCaptcha } from './captcha.js';
import { byId, onSubmit, say, show, valueOf } from './dom.js';
import { takeFragmentToken } from './fragment.js';
import { stepUp } from './step-up.js';

const request = byId<HTMLFormElement>('reset-request');
const confirm = byId<HTMLFormElement>('reset-confirm');
const status = byId('reset-status');
const token = takeFragmentToken();

if (token) {
  // From the e-mailed link: choose the new password.
  show(request, false);
  show(confirm);
  onSubmit(confirm, async () => {
    const password = (confirm.elements.namedItem('password') as HTMLInputElement).value;
    const result = await postJson('/api/auth/password-reset/confirm', { token, password });
    if (result.ok) {
      show(confirm, false);
      say(status, 'Your password is changed, and every session was signed out. Sign in with it now.', 'ok');
    } else {
      say(status, sentence(result.error), 'error');
    }
  });
} else {
  // A low score (or the reset limiter over its budget) asks for the code e-mailed to the same address first.
  const run = stepUp('reset-request', 'reset-code', 'reset-status', (result) => {
    resetCaptcha();
    if (result.ok) say(status, 'If this address has an account, we sent it a link. Check your e-mail.', 'ok');
    else say(status, sentence(result.error), 'error');
  });
  onSubmit(request, async () => {
    let captcha: string | undefined;
    try {
      captcha = await captchaToken();
    } catch (error) {
      say(
        status,
        error instanceof CaptchaUnavailable ? error.message : 'The anti-bot check failed.',
        'error',
      );
      return;
    }
    const body = { email: valueOf(request, 'email') };
    await run(
      (headers) => postJson('/api/auth/password-reset', body, headers),
      captcha ? { 'X-Captcha-Token': captcha } : {},
    );
  });
}
