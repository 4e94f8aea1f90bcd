import express from 'express';
import { cspReporter } from '@shieldwall/csp-reporter';
import { securityHeaders } from '@shieldwall/headers';

const reporter = cspReporter({ version: 5, publicOrigin: 'https://app.example.com' });
const app = express();
app.use(securityHeaders({ reporting: reporter.reporting })); // report-uri /api/csp-report-endpoint?version=5
app.use(reporter); // answers POST /api/csp-report-endpoint
app.get('/admin/csp', async (_req, res) => res.json(await reporter.topViolations(20))); // protect it in yours
const port = Number(process.env.PORT ?? 3000);
app.listen(port, () => console.log(`http://localhost:${port}/admin/csp`));
