import express from 'express';
import { csrfMetaTag, keyExchange } from '@shieldwall/key-exchange';

const kx = keyExchange({ secure: process.env.NODE_ENV === 'production' });
const app = express();
// The page's script is your bundle of @shieldwall/key-exchange/client (below): it reads the meta tag.
app.get('/', kx.csrfToken, (_req, res) =>
  res.send(`<!doctype html>${csrfMetaTag(res)}<script type="module" src="/app.js"></script>`),
);
app.get('/api/security/public-key', kx.requireCsrf, kx.publicKey);
app.post('/api/security/session-key', kx.sessionKey);
app.post('/api/transfer', kx.requireChannel, (req, res) => res.json({ ok: true, got: req.body }));
const port = Number(process.env.PORT ?? 3000);
app.listen(port, () => console.log(`http://localhost:${port}`));
