import { createServer, request as httpRequest, type Server } from 'node:http';
import { connect } from 'node:net';
import type { AddressInfo } from 'node:net';
import { isShieldwallError, readCappedBody } from '../src/index.js';

// A real server: each request's body goes through readCappedBody, and the outcome is recorded.
type Outcome = { body: string } | { status: number; code: string; headers: Record<string, string> };

describe('core: readCappedBody', () => {
  let server: Server;
  let port: number;
  const outcomes: Outcome[] = [];
  const settled: Array<() => void> = [];
  const nextOutcome = () => new Promise<void>((resolve) => settled.push(resolve));

  beforeAll(async () => {
    server = createServer((req, res) => {
      readCappedBody(req, 1024).then(
        (body) => {
          outcomes.push({ body: body.toString() });
          res.end('ok');
          settled.shift()?.();
        },
        (error: unknown) => {
          if (!isShieldwallError(error)) throw error;
          outcomes.push({ status: error.status, code: error.code, headers: error.headers ?? {} });
          res.writeHead(error.status, error.headers ?? {}).end();
          settled.shift()?.();
        },
      );
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));
  beforeEach(() => {
    outcomes.length = 0;
  });

  const post = (chunks: string[], headers: Record<string, string> = {}) =>
    new Promise<{ status: number; connection: string | undefined }>((resolve, reject) => {
      const req = httpRequest({ port, method: 'POST', headers }, (res) => {
        res.resume();
        resolve({ status: res.statusCode!, connection: res.headers.connection });
      });
      req.on('error', reject);
      for (const chunk of chunks) req.write(chunk);
      req.end();
    });

  it('reads a body in any number of chunks under the cap', async () => {
    const done = nextOutcome();
    expect((await post(['a'.repeat(500), 'b'.repeat(500)])).status).toBe(200);
    await done;
    expect(outcomes).toEqual([{ body: `${'a'.repeat(500)}${'b'.repeat(500)}` }]);
  });

  it('refuses a declared length over the cap before reading, and closes the connection', async () => {
    const done = nextOutcome();
    const res = await post(['x'.repeat(2000)], { 'content-length': '2000' });
    await done;
    expect(res).toEqual({ status: 413, connection: 'close' });
    expect(outcomes).toEqual([{ status: 413, code: 'payload_too_large', headers: { Connection: 'close' } }]);
  });

  it('stops reading a chunked body once it passes the cap', async () => {
    const done = nextOutcome();
    const res = await post(['x'.repeat(800), 'x'.repeat(800)]);
    await done;
    expect(res.status).toBe(413);
    expect(outcomes).toEqual([{ status: 413, code: 'payload_too_large', headers: { Connection: 'close' } }]);
  });

  it('answers request_aborted when the client goes away mid-body', async () => {
    const done = nextOutcome();
    const socket = connect(port, '127.0.0.1');
    socket.write('POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 500\r\n\r\n' + 'x'.repeat(100));
    setTimeout(() => socket.destroy(), 50);
    await done;
    expect(outcomes).toEqual([{ status: 400, code: 'request_aborted', headers: {} }]);
  });
});
