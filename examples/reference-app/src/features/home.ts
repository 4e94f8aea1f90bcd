import type { Response } from 'express';
import type { Feature } from './feature.js';
import { keyExchangeClientPath } from './key-exchange.js';

function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

// Runs in the page: establishes the channel (CSRF token from the meta tag) and proves it with an encrypted echo.
// The client is left on window.shieldwall for the app's own calls.
const pageScript = `(async () => {
  const status = document.getElementById('status');
  try {
    const client = ShieldwallKeyExchange.createKeyExchangeClient();
    await client.establish();
    const response = await client.fetch('/api/security/echo', { method: 'POST', body: { hello: 'page' } });
    const answer = await response.json();
    window.shieldwall = { client, echo: answer };
    status.dataset.channel = client.channel;
    status.textContent = 'Encrypted channel ready.';
  } catch (error) {
    status.dataset.error = (error && error.code) || 'failed';
    status.textContent = 'Encrypted channel failed.';
  }
})();`;

export function renderHome(res: Response): string {
  const locals = res.locals as { cspNonce?: string; csrfToken?: string };
  const nonce = locals.cspNonce ? ` nonce="${escapeHtml(locals.cspNonce)}"` : '';
  const csrf = locals.csrfToken ? `<meta name="csrf-token" content="${escapeHtml(locals.csrfToken)}">` : '';
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Shieldwall reference app</title>
${csrf}
</head>
<body>
<h1>Shieldwall reference app</h1>
<p id="status">Loading.</p>
<script${nonce} src="${keyExchangeClientPath}"></script>
<script${nonce}>${pageScript}</script>
</body>
</html>`;
}

/** `GET /`: the HTML page with a fresh CSRF token (set by the key-exchange feature) and the browser client. */
export const mountHome: Feature = async (app) => {
  app.get('/', (_req, res) => {
    res.setHeader('Cache-Control', 'no-store');
    res.type('html').send(renderHome(res));
  });
  // Browsers ask for it on every page; answering keeps their consoles (and our 404 counts) clean.
  app.get('/favicon.ico', (_req, res) => {
    res.setHeader('Cache-Control', 'public, max-age=86400');
    res.status(204).end();
  });
};
