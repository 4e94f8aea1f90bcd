import { postJson, sentence } from './api.js';
import { byId, onSubmit, say, valueOf } from './dom.js';
import { stepUp } from './step-up.js';

const form = byId<HTMLFormElement>('signin');
const status = byId('signin-status');

// Past the login budget the limiter asks for an e-mailed code instead of blocking (rate-limits' challenge).
const run = stepUp('signin', 'challenge', 'signin-status', (result) => {
  if (result.ok) {
    say(status, 'Signed in.', 'ok');
    window.location.assign('/account');
    return;
  }
  say(status, sentence(result.error), 'error');
});

onSubmit(form, async () => {
  const body = {
    email: valueOf(form, 'email'),
    password: (form.elements.namedItem('password') as HTMLInputElement).value,
  };
  say(status, 'Signing in…');
  await run((headers) => postJson('/api/auth/login', body, headers), {});
});
