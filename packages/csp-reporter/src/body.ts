import type { IncomingMessage } from 'node:http';
import { ShieldwallError, bodyTooLarge, readCappedBody } from '@shieldwall/core';

export const acceptedMediaTypes: readonly string[] = Object.freeze([
  'application/csp-report',
  'application/reports+json',
  'application/json',
]);

/** Refuses anything but the three report media types (and a charset other than UTF-8), before reading a byte. */
export function checkContentType(header: string | undefined): void {
  // Stryker disable next-line StringLiteral: without a header, any fallback spelling is refused as a media type
  const [type = '', ...parameters] = (header ?? '').split(';');
  const media = type.trim().toLowerCase();
  const charset = parameters
    .map((p) => p.trim().toLowerCase())
    .find((p) => p.startsWith('charset='))
    ?.slice('charset='.length)
    .replace(/"/g, '');
  if (
    !acceptedMediaTypes.includes(media) ||
    (charset !== undefined && charset !== 'utf-8' && charset !== 'utf8')
  ) {
    throw new ShieldwallError(
      415,
      'unsupported_media_type',
      'Send CSP reports as application/csp-report, application/reports+json or application/json.',
    );
  }
}

const tooLarge = (): ShieldwallError => bodyTooLarge('The report is over the size limit.');

/** The raw report, capped: see core's readCappedBody. */
export const readReportBody = (req: IncomingMessage, maxBytes: number): Promise<Buffer> =>
  readCappedBody(req, maxBytes, tooLarge);

const decoder = new TextDecoder('utf-8', { fatal: true });

/** Parses the body as UTF-8 JSON; 400 `invalid_json` otherwise. */
export function parseJson(raw: Buffer): unknown {
  try {
    return JSON.parse(decoder.decode(raw)) as unknown;
  } catch {
    throw new ShieldwallError(400, 'invalid_json', 'The report is not valid JSON.');
  }
}
