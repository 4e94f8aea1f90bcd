import express from 'express';
import { randomBytes } from 'node:crypto';
import { jwtCookies } from '@shieldwall/jwt-cookies';

const auth = jwtCookies({
  keys: [{ id: '2026-01', key: randomBytes(32) }], // in production: 32+ bytes from your secret store
  secure: process.env.NODE_ENV === 'production',
});
// Yours: check the password (see @shieldwall/passwords). This demo signs in "demo" with any password.
const checkPassword = async ({ user }) => (user === 'demo' ? 'user-1' : undefined);

const app = express();
app.post('/api/auth/login', express.json(), async (req, res) => {
  const userId = await checkPassword(req.body ?? {});
  if (!userId) return res.status(401).json({ error: { code: 'invalid_credentials', message: 'No.' } });
  await auth.signIn(res, userId); // sets both cookies
  res.json({ ok: true });
});
app.post('/api/auth/refresh', auth.refresh); // 204, both cookies rotated
app.post('/api/auth/logout', auth.logout); // 204, family revoked, cookies cleared
app.get('/api/me', auth.requireAuth, (req, res) => res.json({ user: res.locals.auth.sub }));
const port = Number(process.env.PORT ?? 3000);
app.listen(port, () => console.log(`http://localhost:${port}`));
