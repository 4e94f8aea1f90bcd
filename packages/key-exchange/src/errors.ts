import { ShieldwallError, bodyTooLarge } from '@shieldwall/core';

export const packageName = '@shieldwall/key-exchange';

/**
 * One answer for every envelope that cannot be accepted (bad encoding, wrong key, tampering, replay, stale time,
 * wrong method or path, unknown or expired channel), so that a prober learns nothing about which check failed.
 */
export function invalidEnvelope(): ShieldwallError {
  return new ShieldwallError(400, 'invalid_envelope', 'The encrypted envelope was not accepted.');
}

export function csrfInvalid(): ShieldwallError {
  return new ShieldwallError(403, 'csrf_invalid', 'The CSRF token is missing, expired or not valid here.');
}

export function encryptionRequired(): ShieldwallError {
  return new ShieldwallError(400, 'encryption_required', 'This route accepts only encrypted requests.');
}

export function unknownAppVersion(): ShieldwallError {
  return new ShieldwallError(400, 'unknown_app_version', 'This app version is not known.');
}

export function upgradeRequired(minVersion: string, upgradeUrl: string | undefined): ShieldwallError {
  return new ShieldwallError(426, 'upgrade_required', 'This app version is no longer supported; update it.', {
    details: { minVersion, ...(upgradeUrl ? { upgradeUrl } : {}) },
  });
}

export function payloadTooLarge(): ShieldwallError {
  return bodyTooLarge('The request body is too large.');
}

export function unsupportedMediaType(): ShieldwallError {
  return new ShieldwallError(415, 'unsupported_media_type', 'Send the envelope as application/jose.');
}

export function invalidJson(): ShieldwallError {
  return new ShieldwallError(400, 'invalid_json', 'The decrypted body is not valid JSON.');
}

export function jsonTooDeep(max: number): ShieldwallError {
  return new ShieldwallError(400, 'json_too_deep', `The decrypted body nests deeper than ${max} levels.`);
}
