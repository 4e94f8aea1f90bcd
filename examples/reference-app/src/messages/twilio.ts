import { PermanentDeliveryError, e164, type SmsSender } from './message.js';

export interface TwilioOptions {
  accountSid: string;
  authToken: string;
  /** The sending number (E.164) or, instead, a Messaging Service. One of the two is required. */
  from?: string;
  messagingServiceSid?: string;
  /** Defaults to https://api.twilio.com; tests point it at a server on loopback. */
  baseUrl?: string;
  fetch?: typeof fetch;
  /** Per request; well under the outbox lease. Defaults to 10000. */
  timeoutMs?: number;
}

/**
 * SMS through Twilio's Messages API: `POST /2010-04-01/Accounts/{AccountSid}/Messages.json`, form-encoded `To`,
 * `From` or `MessagingServiceSid`, and `Body`, with HTTP basic auth (account SID and auth token). 2xx is accepted;
 * 429, 5xx, a timeout or a network error is retried; any other 4xx (a bad number, an unverified sender) is
 * permanent.
 */
export function twilioSms(options: Readonly<TwilioOptions>): SmsSender {
  if (!options.from === !options.messagingServiceSid)
    throw new Error('twilioSms: pass exactly one of from and messagingServiceSid');
  const base = (options.baseUrl ?? 'https://api.twilio.com').replace(/\/$/, '');
  const endpoint = `${base}/2010-04-01/Accounts/${encodeURIComponent(options.accountSid)}/Messages.json`;
  const authorization = `Basic ${Buffer.from(`${options.accountSid}:${options.authToken}`).toString('base64')}`;
  const fetchImpl = options.fetch ?? globalThis.fetch;
  const timeoutMs = options.timeoutMs ?? 10_000;

  return {
    async send({ content }) {
      if (!e164.test(content.to)) throw new PermanentDeliveryError('invalid_phone');
      const form = new URLSearchParams({ To: content.to });
      if (options.messagingServiceSid) form.set('MessagingServiceSid', options.messagingServiceSid);
      else form.set('From', options.from!);
      form.set('Body', content.text);
      const response = await fetchImpl(endpoint, {
        method: 'POST',
        headers: {
          authorization,
          'content-type': 'application/x-www-form-urlencoded',
          accept: 'application/json',
        },
        body: form.toString(),
        signal: AbortSignal.timeout(timeoutMs),
      });
      const reply = (await response.json().catch(() => ({}))) as { sid?: unknown; code?: unknown };
      if (response.ok) return typeof reply.sid === 'string' ? { providerId: reply.sid } : {};
      // Twilio's error code (21211 invalid number, 21610 opted out, ...) names the cause without the message.
      const reason = `twilio ${response.status}${typeof reply.code === 'number' ? ` ${reply.code}` : ''}`;
      if (response.status === 429 || response.status >= 500) {
        throw Object.assign(new Error(reason), { code: `HTTP_${response.status}` });
      }
      throw new PermanentDeliveryError(reason);
    },
    async close() {},
  };
}
