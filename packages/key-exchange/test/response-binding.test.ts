import express from 'express';
import { compactDecrypt, decodeProtectedHeader } from 'jose';
import { errorHandler } from '@shieldwall/core';
import { listen, type RunningServer } from '@shieldwall/test-utils';
import { createKeyExchangeClient, KeyExchangeClientError } from '../src/client.js';
import { keyExchange } from '../src/index.js';
import { loadPage, manualWebHandshake, requestEnvelope } from './helpers.js';

// A sealed response is bound to the request it answers (`rid`, `htm`, `htu`) and to its HTTP status (`sts`): the
// status line is outside the AEAD's data, so without `sts` an intermediary could turn a refusal into a success.

let server: RunningServer;
beforeAll(async () => {
  const kx = keyExchange({ secure: false });
  const app = express();
  app.get('/page', kx.csrfToken, (_req, res) => {
    res.json({ token: res.locals.csrfToken as string });
  });
  app.get('/api/security/public-key', kx.requireCsrf, kx.publicKey);
  app.post('/api/security/session-key', kx.sessionKey);
  app.all('/api/status/:code', kx.requireChannel, (req, res) => {
    res.status(Number(req.params.code)).json({ answered: Number(req.params.code) });
  });
  app.use(errorHandler());
  server = await listen(app);
});
afterAll(() => server.close());

/** A fetch that lets `tamper` rewrite each answer, as a proxy between client and server could. */
function intercepting(tamper: (response: Response, body: string) => Response | undefined): typeof fetch {
  return async (input, init) => {
    const response = await fetch(input, init);
    const body = await response.text();
    const copy = new Response(body, { status: response.status, headers: response.headers });
    return tamper(copy.clone(), body) ?? copy;
  };
}

describe('the status and request binding of sealed responses', () => {
  it('seals the HTTP status as sts and the request as rid, htm and htu', async () => {
    const page = await loadPage(server.url);
    const { key, channel } = await manualWebHandshake(server.url, page);
    for (const code of [200, 201, 403, 409]) {
      const jwe = await requestEnvelope(key, channel, { htu: `/api/status/${code}` }, {});
      const response = await fetch(`${server.url}/api/status/${code}`, {
        method: 'POST',
        headers: { 'content-type': 'application/jose', cookie: page.cookie },
        body: jwe,
      });
      expect(response.status).toBe(code);
      const sealed = await response.text();
      const { protectedHeader, plaintext } = await compactDecrypt(sealed, key);
      expect(protectedHeader).toMatchObject({
        typ: 'sw-res',
        kid: channel,
        sts: code,
        rid: decodeProtectedHeader(jwe).jti,
        htm: 'POST',
        htu: `/api/status/${code}`,
      });
      expect(JSON.parse(Buffer.from(plaintext).toString())).toEqual({ answered: code });
    }
  });

  it('seals the handshake proof with sts 201', async () => {
    const page = await loadPage(server.url);
    let proofHeader: Record<string, unknown> | undefined;
    const client = createKeyExchangeClient({
      baseUrl: server.url,
      csrfToken: page.token,
      cookies: page.cookie,
      fetch: intercepting((response, body) => {
        if (response.status === 201) proofHeader = decodeProtectedHeader(body);
        return undefined;
      }),
    });
    await client.establish();
    expect(proofHeader).toMatchObject({ sts: 201, htm: 'POST', htu: '/api/security/session-key' });
  });

  it('the client refuses a sealed answer whose status was rewritten', async () => {
    const page = await loadPage(server.url);
    const client = createKeyExchangeClient({
      baseUrl: server.url,
      csrfToken: page.token,
      cookies: page.cookie,
      fetch: intercepting((response, body) =>
        response.status === 403 ? new Response(body, { status: 200, headers: response.headers }) : undefined,
      ),
    });
    const refused = await client
      .fetch('/api/status/403', { method: 'POST', body: {} })
      .catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(KeyExchangeClientError);
    expect(refused).toMatchObject({ code: 'invalid_response' });
    // Untouched answers still pass, whatever their status.
    const conflict = await client.fetch('/api/status/409', { method: 'POST', body: {} });
    expect(conflict.status).toBe(409);
    expect(await conflict.json()).toEqual({ answered: 409 });
  });

  it('the client refuses the answer to another request, even of the same status', async () => {
    const page = await loadPage(server.url);
    let recorded: string | undefined;
    let replay = false;
    const client = createKeyExchangeClient({
      baseUrl: server.url,
      csrfToken: page.token,
      cookies: page.cookie,
      fetch: intercepting((response, body) => {
        if (response.status !== 200) return undefined;
        if (!replay) {
          recorded = body;
          return undefined;
        }
        return new Response(recorded, { status: 200, headers: response.headers });
      }),
    });
    expect((await client.fetch('/api/status/200', { method: 'POST', body: {} })).status).toBe(200);
    replay = true;
    const swapped = await client
      .fetch('/api/status/200', { method: 'POST', body: {} })
      .catch((e: unknown) => e);
    expect(swapped).toMatchObject({ code: 'invalid_response' });
  });
});
