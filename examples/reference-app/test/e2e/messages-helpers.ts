import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SMTPServer, type SMTPServerOptions } from 'smtp-server';
import { simpleParser, type ParsedMail } from 'mailparser';
import { listen } from '../helpers/http.js';

export interface ReceivedMail {
  /** The envelope recipients (RCPT TO). */
  rcptTo: string[];
  raw: string;
  parsed: ParsedMail;
  /** Whether the session ran over TLS (STARTTLS or implicit). */
  secure: boolean;
  user?: string;
}

export interface LoopbackSmtp {
  url: string;
  port: number;
  received: ReceivedMail[];
  /** Answer RCPT TO for these addresses with 550 (a permanent refusal). */
  refuse: Set<string>;
  /** While true, every connection is answered 421 (service unavailable) at MAIL FROM: the provider is down. */
  down: boolean;
  /** Resolves when `count` messages to `to` have arrived. */
  waitFor(to: string, count?: number): Promise<ReceivedMail>;
  close(): Promise<void>;
}

/**
 * A real SMTP server (the smtp-server package) on a loopback port: what the app's nodemailer transport talks to.
 * With `tls`, STARTTLS is offered with that key and certificate; `auth` requires AUTH PLAIN/LOGIN.
 */
export async function startSmtp(
  options: { auth?: { user: string; pass: string }; tls?: { key: string; cert: string } } = {},
): Promise<LoopbackSmtp> {
  const received: ReceivedMail[] = [];
  const refuse = new Set<string>();
  const waiters: Array<() => void> = [];
  const state = { down: false };
  const serverOptions: SMTPServerOptions = {
    logger: false,
    authOptional: !options.auth,
    ...(options.tls ? { key: options.tls.key, cert: options.tls.cert } : { disabledCommands: ['STARTTLS'] }),
    ...(options.auth ? {} : { disabledCommands: ['AUTH', ...(options.tls ? [] : ['STARTTLS'])] }),
    allowInsecureAuth: false,
    onAuth(auth, _session, callback) {
      if (auth.username === options.auth?.user && auth.password === options.auth?.pass)
        return callback(null, { user: auth.username });
      callback(new Error('Invalid username or password'));
    },
    onMailFrom(_address, _session, callback) {
      if (state.down) return callback(Object.assign(new Error('Try again later'), { responseCode: 421 }));
      callback();
    },
    onRcptTo(address, _session, callback) {
      if (refuse.has(address.address))
        return callback(Object.assign(new Error('No such user'), { responseCode: 550 }));
      callback();
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        const raw = Buffer.concat(chunks).toString('utf8');
        simpleParser(raw).then(
          (parsed) => {
            received.push({
              rcptTo: session.envelope.rcptTo.map((r) => r.address),
              raw,
              parsed,
              secure: session.secure,
              ...(typeof session.user === 'string' ? { user: session.user } : {}),
            });
            for (const wake of waiters.splice(0)) wake();
            callback();
          },
          (error: Error) => callback(error),
        );
      });
    },
  };
  const server = new SMTPServer(serverOptions);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.server.address() as AddressInfo;
  const auth = options.auth ? `${options.auth.user}:${options.auth.pass}@` : '';
  return {
    url: `smtp://${auth}127.0.0.1:${port}`,
    port,
    received,
    refuse,
    get down() {
      return state.down;
    },
    set down(value: boolean) {
      state.down = value;
    },
    async waitFor(to, count = 1) {
      for (;;) {
        const mails = received.filter((mail) => mail.rcptTo.includes(to));
        if (mails.length >= count) return mails[count - 1]!;
        await new Promise<void>((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error(`no mail number ${count} to ${to}`)), 10_000);
          waiters.push(() => {
            clearTimeout(timer);
            resolve();
          });
        });
      }
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** Whether the openssl command is there to make a test certificate with. */
export const hasOpenssl = ((): boolean => {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

/** A self-signed certificate for 127.0.0.1 (openssl), for a STARTTLS server the client verifies. */
export function selfSignedCertificate(): { key: string; cert: string; certFile: string; cleanup(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'sw-smtp-tls-'));
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '1',
      '-subj',
      '/CN=127.0.0.1',
      '-addext',
      'subjectAltName=IP:127.0.0.1',
      '-keyout',
      join(dir, 'key.pem'),
      '-out',
      join(dir, 'cert.pem'),
    ],
    { stdio: 'ignore' },
  );
  return {
    key: readFileSync(join(dir, 'key.pem'), 'utf8'),
    cert: readFileSync(join(dir, 'cert.pem'), 'utf8'),
    certFile: join(dir, 'cert.pem'),
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

export interface TwilioRequest {
  method: string;
  path: string;
  authorization: string | undefined;
  contentType: string | undefined;
  form: Record<string, string>;
}

export type TwilioReply = { status: number; json: unknown } | 'hang';

export interface LoopbackTwilio {
  url: string;
  requests: TwilioRequest[];
  /** What the next request gets; by default 201 with a message SID. */
  reply: (request: TwilioRequest) => TwilioReply;
  /** Requests answered 2xx: the messages that were sent. */
  delivered(): TwilioRequest[];
  /** Drops the connections of requests left hanging (the client sees a network error). */
  release(): void;
  close(): Promise<void>;
}

/** A loopback HTTP server speaking Twilio's Messages API wire format. */
export async function startTwilio(): Promise<LoopbackTwilio> {
  const requests: TwilioRequest[] = [];
  const outcomes: boolean[] = [];
  let sid = 0;
  const twilio: Omit<LoopbackTwilio, 'url' | 'close' | 'release'> = {
    requests,
    reply: () => ({
      status: 201,
      json: { sid: `SM${String((sid += 1)).padStart(32, '0')}`, status: 'queued' },
    }),
    delivered: () => requests.filter((_, i) => outcomes[i]),
  };
  const hung: ServerResponse[] = [];
  const server = await listen((req: IncomingMessage, res: ServerResponse) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (body += chunk));
    req.on('end', () => {
      const request: TwilioRequest = {
        method: req.method ?? '',
        path: req.url ?? '',
        authorization: req.headers.authorization,
        contentType: req.headers['content-type'],
        form: Object.fromEntries(new URLSearchParams(body)),
      };
      requests.push(request);
      const reply = twilio.reply(request);
      if (reply === 'hang') {
        outcomes.push(false);
        hung.push(res);
        return;
      }
      outcomes.push(reply.status >= 200 && reply.status < 300);
      res.writeHead(reply.status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(reply.json));
    });
  });
  const release = () => {
    for (const res of hung.splice(0)) res.destroy();
  };
  return Object.assign(twilio, {
    url: server.url,
    release,
    close: async () => {
      release();
      await server.close();
    },
  });
}

export const basicAuth = (user: string, pass: string): string =>
  `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`;
