import { checkOptionNames, configError, ShieldwallError, type OptionNames } from '@shieldwall/core';
import { packageName } from '../constants.js';
import type { VerifierOptions } from './types.js';

/** The provider gave no verdict: network failure, timeout, an error status, a reply we cannot read. */
export class CaptchaUnavailableError extends ShieldwallError {
  override readonly name = 'CaptchaUnavailableError';
  /** A short machine reason for logs: `timeout`, `network`, `status_503`, `bad_reply`, `provider:<code>`. */
  readonly reason: string;

  constructor(reason: string, cause?: unknown) {
    super(503, 'captcha_unavailable', 'The CAPTCHA provider could not be reached.', { cause });
    this.reason = reason;
  }
}

export interface ResolvedVerifierOptions {
  secret: string;
  url: string;
  fetch: typeof fetch;
}

export const verifierOptionNames: OptionNames<VerifierOptions> = { secret: true, url: true, fetch: true };

/** Refuses unknown option names of a verifier factory, before anything else is checked. */
export function checkVerifierOptionNames<T extends VerifierOptions>(
  factory: string,
  options: Readonly<T> | undefined,
  names: OptionNames<T>,
): void {
  checkOptionNames(packageName, `${factory}()`, options, names, {
    hints: { secretKey: 'secret', key: 'secret', verifyUrl: 'url' },
  });
}

export function resolveVerifierOptions(
  factory: string,
  options: Readonly<VerifierOptions> | undefined,
  defaultUrl: string,
): ResolvedVerifierOptions {
  if (!options || typeof options.secret !== 'string' || options.secret.length === 0) {
    throw configError(packageName, `${factory}.secret`, options?.secret, "pass the provider's secret key.");
  }
  const url = options.url ?? defaultUrl;
  try {
    const parsed = new URL(url);
    if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') throw new Error('scheme');
  } catch {
    throw configError(packageName, `${factory}.url`, url, 'pass an absolute http(s) URL.');
  }
  const fetchImpl = options.fetch ?? globalThis.fetch;
  if (typeof fetchImpl !== 'function') {
    throw configError(packageName, `${factory}.fetch`, options.fetch, 'pass a fetch function.');
  }
  return { secret: options.secret, url, fetch: fetchImpl };
}

/** POSTs and parses a JSON object reply; every failure to get one becomes CaptchaUnavailableError. */
export async function postForJson(
  fetchImpl: typeof fetch,
  url: string,
  init: { body: string; headers: Record<string, string>; signal: AbortSignal },
): Promise<Record<string, unknown>> {
  let response: Response;
  try {
    response = await fetchImpl(url, { method: 'POST', redirect: 'error', ...init });
  } catch (error) {
    const timedOut = init.signal.aborted;
    throw new CaptchaUnavailableError(timedOut ? 'timeout' : 'network', error);
  }
  let parsed: unknown;
  try {
    parsed = await response.json();
  } catch (error) {
    throw new CaptchaUnavailableError(init.signal.aborted ? 'timeout' : `status_${response.status}`, error);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new CaptchaUnavailableError(`status_${response.status}`);
  }
  // Google's APIs answer errors with a status and a JSON body ({"error":{...}}); siteverify always answers 200.
  if (!response.ok) throw new CaptchaUnavailableError(`status_${response.status}`);
  return parsed as Record<string, unknown>;
}

export function formBody(fields: Record<string, string | undefined>): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(fields))
    if (value !== undefined && value !== '') params.set(key, value);
  return params.toString();
}

export const formHeaders = Object.freeze({
  'content-type': 'application/x-www-form-urlencoded',
  accept: 'application/json',
});

export function stringOrUndefined(value: unknown): string | undefined {
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}

export function stringList(value: unknown): string[] {
  if (Array.isArray(value)) return value.filter((item): item is string => typeof item === 'string');
  if (typeof value === 'string' && value) return [value];
  return [];
}

/** A number in 0..1 from a number or numeric string; undefined otherwise. */
export function unitNumber(value: unknown): number | undefined {
  const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isFinite(n)) return undefined;
  return Math.min(1, Math.max(0, n));
}

export function timestamp(value: unknown): number | undefined {
  if (typeof value !== 'string' || !value) return undefined;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? undefined : ms;
}

/**
 * Siteverify error codes that mean *we* could not get a verdict (our secret is wrong, the provider failed), as
 * opposed to the client's token being bad. These take the gate's provider-down policy, never a pass.
 */
const unavailableCodes = new Set([
  'missing-input-secret',
  'invalid-input-secret',
  'sitekey-secret-mismatch',
  'internal-error',
  'bad-request',
  'missing-remoteip',
  'invalid-remoteip',
  'not-using-dummy-passcode',
]);

/** Throws CaptchaUnavailableError when a failed siteverify reply blames the server side, not the token. */
export function throwIfServerSideFailure(success: boolean, codes: readonly string[]): void {
  if (success) return;
  const serverSide = codes.find((code) => unavailableCodes.has(code));
  if (serverSide) throw new CaptchaUnavailableError(`provider:${serverSide}`);
}
