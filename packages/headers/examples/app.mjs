import express from 'express';
import { securityHeaders } from '@shieldwall/headers';
import { cspReporter } from '@shieldwall/csp-reporter';

const reporter = cspReporter({ version: 5, publicOrigin: 'https://app.example.com' });
const app = express();
app.disable('x-powered-by'); // for responses sent before this middleware runs, too
app.set('trust proxy', 'loopback'); // so req.secure sees X-Forwarded-Proto from your proxy
app.use(securityHeaders({ reporting: reporter.reporting, frameOptions: 'SAMEORIGIN' }));
app.use(reporter);
app.get('/', (_req, res) => res.send(`<script nonce="${res.locals.cspNonce}">/* runs */</script>`));
const port = Number(process.env.PORT ?? 3000);
app.listen(port, () => console.log(`http://localhost:${port}`));
