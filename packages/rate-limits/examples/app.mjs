import express from 'express';
import { createClient } from 'redis';
import { clientIp } from '@shieldwall/request-guard';
import { rateLimiters } from '@shieldwall/rate-limits';

// Counts live in Redis when REDIS_URL is set (shared by every instance), else in this process's memory.
const redis = process.env.REDIS_URL
  ? await createClient({ url: process.env.REDIS_URL }).connect()
  : undefined;
const app = express();
app.use(clientIp()); // resolves the client IP once; the limiters read it
const limits = rateLimiters(redis ? { sendCommand: (args) => redis.sendCommand(args) } : {});
app.use('/api', limits.get('api'));
app.get('/api/hello', (_req, res) => res.json({ hello: 'world' }));
app.post('/api/auth/login', limits.get('login'), (_req, res) => res.json({ ok: true }));
const port = Number(process.env.PORT ?? 3000);
app.listen(port, () => console.log(`http://localhost:${port}/api/hello`));
