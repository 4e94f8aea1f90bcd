import { createServer, request as httpRequest, type IncomingMessage, type Server } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { isShieldwallError, readCappedBody } from '../src/index.js';

// A real server: each request's body goes through readCappedBody, and the outcome is recorded. `/late` reads only
// after 100 ms (an earlier middleware was slow), `/paused` after an earlier middleware paused the request.
type Outcome = { body: string } | { status: number; code: string; headers: Record<string, string> };

describe('core: readCappedBody', () => {
  let server: Server;
  let port: number;
  let outcome: Promise<Outcome>;
  let settle: (value: Outcome) => void;

  const prepare = async (req: IncomingMessage): Promise<void> => {
    if (req.url === '/late') await sleep(100);
    if (req.url === '/paused') {
      req.pause();
      await sleep(20);
    }
  };

  beforeAll(async () => {
    server = createServer((req, res) => {
      prepare(req)
        .then(() => readCappedBody(req, 1024))
        .then(
          (body) => {
            settle({ body: body.toString() });
            res.end('ok');
          },
          (error: unknown) => {
            if (!isShieldwallError(error)) throw error;
            settle({ status: error.status, code: error.code, headers: { ...error.headers } });
            res.writeHead(error.status, error.headers ?? {}).end();
          },
        );
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  beforeEach(() => {
    outcome = new Promise((resolve) => (settle = resolve));
  });

  /** Sends `chunks`; ends the request only if `end` (so a test can show the answer came before the end). */
  const post = (
    chunks: string[],
    options: { headers?: Record<string, string>; end?: boolean; path?: string } = {},
  ) =>
    new Promise<{ status: number; connection: string | undefined }>((resolve, reject) => {
      const req = httpRequest(
        { port, method: 'POST', path: options.path ?? '/', headers: options.headers },
        (res) => {
          res.resume();
          resolve({ status: res.statusCode!, connection: res.headers.connection });
          if (options.end === false) req.destroy();
        },
      );
      req.on('error', (error) => {
        if (options.end !== false) reject(error);
      });
      for (const chunk of chunks) req.write(chunk);
      if (options.end !== false) req.end();
    });

  const rawClientThatLeaves = (path: string) => {
    const socket = connect(port, '127.0.0.1');
    socket.write(`POST ${path} HTTP/1.1\r\nHost: x\r\nContent-Length: 500\r\n\r\n${'x'.repeat(100)}`);
    return socket;
  };

  it('reads a body in any number of chunks under the cap', async () => {
    expect((await post(['a'.repeat(500), 'b'.repeat(500)])).status).toBe(200);
    expect(await outcome).toEqual({ body: `${'a'.repeat(500)}${'b'.repeat(500)}` });
  });

  it('refuses a declared length over the cap before the body arrives, and closes the connection', async () => {
    const res = await post(['x'.repeat(10)], { headers: { 'content-length': '2000' }, end: false });
    expect(res).toEqual({ status: 413, connection: 'close' });
    expect(await outcome).toEqual({
      status: 413,
      code: 'payload_too_large',
      headers: { Connection: 'close' },
    });
  });

  it('answers a chunked body once it passes the cap, before the client has finished sending', async () => {
    const res = await post(['x'.repeat(800), 'x'.repeat(800)], { end: false });
    expect(res).toEqual({ status: 413, connection: 'close' });
    expect(await outcome).toEqual({
      status: 413,
      code: 'payload_too_large',
      headers: { Connection: 'close' },
    });
  });

  it('answers request_aborted when the client goes away mid-body', async () => {
    const socket = rawClientThatLeaves('/');
    setTimeout(() => socket.destroy(), 30);
    expect(await outcome).toEqual({ status: 400, code: 'request_aborted', headers: {} });
  });

  it('settles when the client left before the read started', async () => {
    const socket = rawClientThatLeaves('/late');
    // Gone 30 ms in; the server starts reading at 100 ms.
    setTimeout(() => socket.destroy(), 30);
    expect(await outcome).toEqual({ status: 400, code: 'request_aborted', headers: {} });
  });

  it('reads a request that an earlier middleware paused', async () => {
    expect((await post(['paused body'], { path: '/paused' })).status).toBe(200);
    expect(await outcome).toEqual({ body: 'paused body' });
  });
});
