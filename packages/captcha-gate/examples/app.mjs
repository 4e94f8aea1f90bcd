import { randomBytes } from 'node:crypto';
import express from 'express';
import { memoryStore } from '@shieldwall/core';
import { captchaGate, codeChallengeProvider, recaptchaV3, verificationCodes } from '@shieldwall/captcha-gate';

const store = memoryStore(); // several instances: core's redisStore
const codes = verificationCodes({
  store,
  hashKey: randomBytes(32), // several instances: the same 32+ byte secret on each
  send: async ({ to, code }) => console.log(`code for ${to}: ${code}`), // yours: e-mail or SMS it
});
const challenges = codeChallengeProvider(codes, (req) => ({ channel: 'email', to: req.body.email }));
const gate = captchaGate({
  verifier: recaptchaV3({ secret: process.env.RECAPTCHA_SECRET ?? 'your-recaptcha-secret' }),
  challenges,
  store,
  hostnames: ['app.example.com'],
});
const app = express();
app.post('/api/register', express.json(), gate.require('register'), (_req, res) => res.status(201).json({}));
const port = Number(process.env.PORT ?? 3000);
app.listen(port, () => console.log(`http://localhost:${port}`));
