import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RoundRobinProxy {
  port: number;
  url: string;
  /** Requests the proxy answered itself with 502 because the instance it chose dropped the request. */
  lost: number;
  close(): Promise<void>;
}

/** How long an instance that refused a connection is left out of the rotation (a load balancer's passive check). */
const downForMs = 1000;

/**
 * A loopback round-robin HTTP proxy, as a load balancer in front of the instances does: one request to the next
 * instance in turn; a refused connection (nothing sent yet) goes to the next instance instead, and that instance is
 * skipped for a second; a request whose instance dies while holding it answers 502 `upstream_unavailable`, as
 * nginx would (a POST is never sent twice). Appends the client's address to X-Forwarded-For.
 */
export async function startRoundRobinProxy(ports: readonly number[]): Promise<RoundRobinProxy> {
  // Read on every request: the caller may add the instances once the proxy's own address is known.
  let next = 0;
  const downUntil = new Map<number, number>();
  const proxy: RoundRobinProxy = { port: 0, url: '', lost: 0, close: async () => undefined };

  const pick = (exclude: number | undefined): number => {
    const now = Date.now();
    for (let i = 0; i < ports.length; i++) {
      const port = ports[(next + i) % ports.length]!;
      if (port !== exclude && (downUntil.get(port) ?? 0) <= now) {
        next = (next + i + 1) % ports.length;
        return port;
      }
    }
    next = (next + 1) % ports.length;
    return ports[next]!;
  };

  const fail = (res: ServerResponse): void => {
    proxy.lost += 1;
    if (res.headersSent) {
      res.destroy();
      return;
    }
    res.writeHead(502, { 'Content-Type': 'application/json; charset=utf-8', Connection: 'close' });
    res.end(
      JSON.stringify({
        error: { code: 'upstream_unavailable', message: 'The instance dropped the request.' },
      }),
    );
  };

  const forward = (req: IncomingMessage, body: Buffer, res: ServerResponse, tried?: number): void => {
    const port = pick(tried);
    const forwardedFor = [req.headers['x-forwarded-for'], req.socket.remoteAddress]
      .filter(Boolean)
      .join(', ');
    const upstream = request(
      {
        host: '127.0.0.1',
        port,
        method: req.method,
        path: req.url,
        headers: { ...req.headers, 'x-forwarded-for': forwardedFor, connection: 'close' },
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
        answer.on('error', () => fail(res));
      },
    );
    upstream.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'ECONNREFUSED' && tried === undefined) {
        downUntil.set(port, Date.now() + downForMs);
        forward(req, body, res, port);
        return;
      }
      fail(res);
    });
    upstream.end(body);
  };

  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => forward(req, Buffer.concat(chunks), res));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  proxy.port = (server.address() as AddressInfo).port;
  proxy.url = `http://127.0.0.1:${proxy.port}`;
  proxy.close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return proxy;
}
