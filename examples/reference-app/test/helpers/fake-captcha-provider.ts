import type { IncomingMessage, ServerResponse } from 'node:http';
import { listen, type RunningServer } from './http.js';

export interface ReceivedCall {
  method: string;
  path: string;
  headers: IncomingMessage['headers'];
  contentType: string;
  /** Form fields (form-encoded requests) or the parsed JSON body. */
  body: Record<string, unknown>;
  raw: string;
}

export type Reply =
  { status?: number; json: unknown; delayMs?: number } | { status: number; text: string } | { hang: true };

export interface FakeProvider {
  url: string;
  calls: ReceivedCall[];
  /** What the next calls get; a function sees the call. */
  reply: Reply | ((call: ReceivedCall) => Reply);
  close(): Promise<void>;
}

/**
 * A CAPTCHA provider on loopback: records each request as it arrived on the wire and answers as the provider would.
 * Real sockets, real fetch, real form encoding.
 */
export async function fakeProvider(path = '/siteverify'): Promise<FakeProvider> {
  const hanging: ServerResponse[] = [];
  const fake: FakeProvider = {
    url: '',
    calls: [],
    reply: { json: { success: false, 'error-codes': ['invalid-input-response'] } },
    close: async () => undefined,
  };
  const server: RunningServer = await listen((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      const contentType = String(req.headers['content-type'] ?? '');
      let body: Record<string, unknown> = {};
      if (contentType.startsWith('application/x-www-form-urlencoded')) {
        body = Object.fromEntries(new URLSearchParams(raw));
      } else if (contentType.startsWith('application/json')) {
        body = JSON.parse(raw) as Record<string, unknown>;
      }
      const call: ReceivedCall = {
        method: req.method ?? '',
        path: req.url ?? '',
        headers: req.headers,
        contentType,
        body,
        raw,
      };
      fake.calls.push(call);
      const reply = typeof fake.reply === 'function' ? fake.reply(call) : fake.reply;
      if ('hang' in reply) {
        hanging.push(res);
        return;
      }
      const send = () => {
        if ('text' in reply) {
          res.writeHead(reply.status, { 'content-type': 'text/html' });
          res.end(reply.text);
          return;
        }
        res.writeHead(reply.status ?? 200, { 'content-type': 'application/json; charset=utf-8' });
        res.end(JSON.stringify(reply.json));
      };
      if ('delayMs' in reply && reply.delayMs) setTimeout(send, reply.delayMs);
      else send();
    });
  });
  fake.url = `${server.url}${path}`;
  fake.close = async () => {
    for (const res of hanging) res.destroy();
    await server.close();
  };
  return fake;
}

/** A reCAPTCHA v3 siteverify success as Google sends it. */
export function recaptchaSuccess(fields: { score: number; action: string; hostname?: string; at: number }) {
  return {
    success: true,
    score: fields.score,
    action: fields.action,
    challenge_ts: new Date(fields.at).toISOString().replace(/\.\d{3}Z$/, 'Z'),
    hostname: fields.hostname ?? 'app.example.com',
  };
}
