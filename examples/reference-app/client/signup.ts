import { postJson, sentence } from './api.js';
import { captchaToken, CaptchaUnavailable, resetCaptcha } from './captcha.js';
import { byId, onSubmit, say, valueOf } from './dom.js';
import { stepUp } from './step-up.js';

const form = byId<HTMLFormElement>('signup');
const status = byId('signup-status');

const run = stepUp('signup', 'stepup', 'signup-status', (result) => {
  if (result.ok) {
    form.reset();
    say(status, 'Check your e-mail: we sent a link to confirm your address.', 'ok');
    return;
  }
  resetCaptcha();
  say(status, sentence(result.error), 'error');
});

onSubmit(form, async () => {
  const referralCode = valueOf(form, 'referralCode');
  const body = {
    email: valueOf(form, 'email'),
    password: (form.elements.namedItem('password') as HTMLInputElement).value,
    ...(referralCode ? { referralCode } : {}),
  };
  let token: string | undefined;
  try {
    token = await captchaToken();
  } catch (error) {
    say(status, error instanceof CaptchaUnavailable ? error.message : 'The anti-bot check failed.', 'error');
    return;
  }
  say(status, 'Creating your account…');
  await run(
    (headers) => postJson('/api/auth/register', body, headers),
    token ? { 'X-Captcha-Token': token } : {},
  );
});
