import { randomBytes } from 'node:crypto';
import express from 'express';
import { envelopeSealer, leakGuard } from '@shieldwall/wallet-crypto';

// In production: KEKs from your secret store or a KMS (a KekProvider), the first one sealing; here one per start.
const sealer = envelopeSealer({ keks: [{ id: 'k1', key: randomBytes(32) }] });
const app = express();
app.use('/api/wallets', leakGuard()); // 500 response_blocked instead of a response carrying a private key
app.post('/api/wallets', async (_req, res) => {
  const privateKey = randomBytes(32);
  const context = { userId: 'user-1', walletId: 'w1', purpose: 'wallet-signing-key' }; // binds it to its row
  const sealed = await sealer.seal(privateKey, context); // store this string; it opens only with this context
  privateKey.fill(0);
  res.status(201).json({ walletId: 'w1', sealed });
});
app.get('/api/wallets/oops', (_req, res) => res.json({ privateKey: randomBytes(32).toString('hex') }));
const port = Number(process.env.PORT ?? 3000);
app.listen(port, () => console.log(`http://localhost:${port}/api/wallets/oops`));
