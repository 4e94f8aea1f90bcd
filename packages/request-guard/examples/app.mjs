import express from 'express';
import { bodyGuard, clientIp, corsGuard, httpsRedirect } from '@shieldwall/request-guard';

const app = express();
app.disable('x-powered-by');
app.set('trust proxy', 'loopback'); // your reverse proxy; see docs/deployment/proxies-and-cloudflare.md
// Security headers (@shieldwall/headers) go here, before the guard, so its refusals carry them too.
// In production only: on a laptop every plain-HTTP request would be sent to the public origin.
if (process.env.NODE_ENV === 'production') app.use(httpsRedirect({ origin: 'https://app.example.com' }));
app.use(clientIp());
app.use(corsGuard({ origins: ['https://app.example.com', 'https://*.tenants.example.com'] }));
app.use(bodyGuard({ routes: [{ path: '/csp-report', types: ['application/csp-report'], limit: 65536 }] }));
app.post('/api/things', (req, res) => res.json({ got: req.body }));
const port = Number(process.env.PORT ?? 3000);
app.listen(port, () => console.log(`http://localhost:${port}`));
