import type { Response } from 'express';
import type { Feature } from './feature.js';

function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

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
<script${nonce}>document.getElementById('status').textContent = 'Ready.';</script>
</body>
</html>`;
}

/** `GET /`: the HTML page. Issue 6 adds the CSRF token and the key-exchange browser client. */
export const mountHome: Feature = async (app) => {
  app.get('/', (_req, res) => {
    res.setHeader('Cache-Control', 'no-store');
    res.type('html').send(renderHome(res));
  });
};
