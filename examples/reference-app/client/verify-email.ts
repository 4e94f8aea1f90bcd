import { postJson, sentence } from './api.js';
import { byId, say } from './dom.js';
import { takeFragmentToken } from './fragment.js';

const status = byId('verify-status');
const token = takeFragmentToken();

void (async () => {
  if (!token) {
    say(status, 'Open this page from the link in your e-mail.', 'error');
    return;
  }
  say(status, 'Confirming your address…');
  const result = await postJson('/api/auth/verify-email', { token });
  if (result.ok) say(status, 'Your e-mail address is confirmed. You can sign in.', 'ok');
  else say(status, sentence(result.error), 'error');
})();
