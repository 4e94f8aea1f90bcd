import { encrypted } from './api.js';
import { byId, say } from './dom.js';

// The front page proves the encrypted channel end to end (an encrypted echo) and leaves the client on
// window.shieldwall for the browser tests.
void (async () => {
  const status = byId('status');
  try {
    const client = encrypted();
    await client.establish();
    const response = await client.fetch('/api/security/echo', { method: 'POST', body: { hello: 'page' } });
    const answer: unknown = await response.json();
    (window as unknown as { shieldwall: unknown }).shieldwall = { client, echo: answer };
    status.dataset.channel = client.channel;
    say(status, 'Encrypted channel ready.', 'ok');
  } catch (error) {
    status.dataset.error = (error as { code?: string } | undefined)?.code ?? 'failed';
    say(status, 'Encrypted channel failed.', 'error');
  }
})();
