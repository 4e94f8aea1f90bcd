import express from 'express';
import { errorHandler, notFoundHandler, ShieldwallError } from '@shieldwall/core';

const app = express();
app.get('/api/things/:id', (req, res) => {
  if (req.params.id !== '1') throw new ShieldwallError(404, 'thing_not_found', 'No such thing.');
  res.json({ id: '1' });
});
app.use(notFoundHandler());
app.use(errorHandler()); // last: every error becomes {"error":{"code","message"}}; a 500 is logged to the console
const port = Number(process.env.PORT ?? 3000);
app.listen(port, () => console.log(`http://localhost:${port}/api/things/2`));
