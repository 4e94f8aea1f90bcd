import type { ServerResponse } from 'node:http';
import type { ShieldwallError } from './errors.js';

/** The one shape of every error response: `{"error":{"code","message", ...details}}`. */
export interface ErrorEnvelope {
  error: { code: string; message: string } & Record<string, unknown>;
}

const reserved = new Set(['code', 'message']);

export function errorEnvelope(
  code: string,
  message: string,
  details?: Readonly<Record<string, unknown>>,
): ErrorEnvelope {
  const error: ErrorEnvelope['error'] = { code, message };
  if (details) {
    for (const [key, value] of Object.entries(details)) {
      if (!reserved.has(key) && value !== undefined) error[key] = value;
    }
  }
  return { error };
}

/**
 * Writes an error envelope on a plain Node response, so it works under Express 4, 5 or a bare http server.
 * Responses are never cached: an error for one client must not be served to another.
 */
export function sendError(
  res: ServerResponse,
  status: number,
  code: string,
  message: string,
  details?: Readonly<Record<string, unknown>>,
  headers?: Readonly<Record<string, string>>,
): void {
  const body = JSON.stringify(errorEnvelope(code, message, details));
  res.statusCode = status;
  if (headers) for (const [name, value] of Object.entries(headers)) res.setHeader(name, value);
  res.setHeader('Content-Type', 'application/json; charset=utf-8');
  res.setHeader('Content-Length', Buffer.byteLength(body));
  res.setHeader('Cache-Control', 'no-store');
  res.end(body);
}

export function sendShieldwallError(res: ServerResponse, error: ShieldwallError): void {
  sendError(res, error.status, error.code, error.message, error.details, error.headers);
}
