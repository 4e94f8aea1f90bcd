import express from 'express';
import { errorHandler } from '@shieldwall/core';
import { passwords } from '@shieldwall/passwords';

const hasher = passwords(); // cost 12, min 12 characters, max 72 bytes
const users = new Map(); // yours: a database
const app = express();
app.post('/api/register', express.json(), async (req, res) => {
  const { email, password } = req.body ?? {};
  users.set(email, await hasher.hash(password)); // throws 400 password_too_short / _too_long
  res.status(201).json({ email });
});
app.post('/api/login', express.json(), async (req, res) => {
  const { email, password } = req.body ?? {};
  const ok = await hasher.verify(password, users.get(email)); // one bcrypt verify either way
  if (!ok) return res.status(401).json({ error: { code: 'invalid_credentials', message: 'No.' } });
  res.json({ email });
});
app.use(errorHandler()); // the policy's refusals as {"error":{"code","message"}}
const port = Number(process.env.PORT ?? 3000);
app.listen(port, () => console.log(`http://localhost:${port}`));
