import type { IncomingMessage } from 'node:http';

/** Who is asking, as resolved once per request by @shieldwall/request-guard and read by every other package. */
export interface ClientInfo {
  /** The client's IP address, normalised (IPv4-mapped IPv6 written as IPv4). */
  ip: string;
  /** ISO 3166-1 alpha-2 country from a trusted edge (Cloudflare), when known. */
  country?: string;
}

const clientInfoKey = Symbol.for('shieldwall.clientInfo');

type WithClientInfo = IncomingMessage & { [clientInfoKey]?: ClientInfo };

export function setClientInfo(req: IncomingMessage, info: ClientInfo): void {
  (req as WithClientInfo)[clientInfoKey] = info;
}

/** Normalises `::ffff:1.2.3.4` to `1.2.3.4` so one client never has two identities. */
export function normaliseIp(address: string): string {
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(address);
  return mapped?.[1] ?? address.toLowerCase();
}

/**
 * The client as resolved by request-guard, or else Express's `req.ip`, or else the socket peer. Without
 * request-guard this is only as trustworthy as the app's `trust proxy` setting.
 */
export function getClientInfo(req: IncomingMessage): ClientInfo {
  const resolved = (req as WithClientInfo)[clientInfoKey];
  if (resolved) return resolved;
  const expressIp = (req as { ip?: unknown }).ip;
  const ip = typeof expressIp === 'string' && expressIp ? expressIp : (req.socket?.remoteAddress ?? '');
  return { ip: normaliseIp(ip) };
}
