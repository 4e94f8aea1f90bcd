import {
  createServer as createHttpServer,
  request,
  type IncomingMessage,
  type ServerResponse,
} from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:net';

export interface TlsProxy {
  httpsPort: number;
  httpPort: number;
  close(): Promise<void>;
}

/**
 * What a deployment puts in front of the app: TLS ends here and the request goes on as plain HTTP with
 * `X-Forwarded-Proto` and `X-Forwarded-For`, the Host kept. The plain-HTTP port is forwarded as `http`, so the
 * app's own HTTPS redirect answers it.
 */
export async function startTlsProxy(
  upstreamPort: number,
  tls: { key: string; cert: string },
): Promise<TlsProxy> {
  const forward = (proto: 'http' | 'https') => (req: IncomingMessage, res: ServerResponse) => {
    const upstream = request(
      {
        host: '127.0.0.1',
        port: upstreamPort,
        method: req.method,
        path: req.url,
        headers: {
          ...req.headers,
          'x-forwarded-proto': proto,
          'x-forwarded-for': req.socket.remoteAddress ?? '127.0.0.1',
        },
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.rawHeaders);
        answer.pipe(res);
      },
    );
    upstream.on('error', () => res.writeHead(502).end());
    req.pipe(upstream);
  };
  const https = createHttpsServer(tls, forward('https'));
  const http = createHttpServer(forward('http'));
  const listen = (server: Server) =>
    new Promise<number>((resolve) =>
      server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)),
    );
  const [httpsPort, httpPort] = await Promise.all([listen(https), listen(http)]);
  const close = (server: Server & { closeAllConnections(): void }) =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return { httpsPort, httpPort, close: async () => void (await Promise.all([close(https), close(http)])) };
}
