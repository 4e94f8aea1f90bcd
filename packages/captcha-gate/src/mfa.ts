import type { Request, RequestHandler, Response } from 'express';
import { Secret, TOTP } from 'otpauth';
import {
  checkOptionNames,
  configError,
  constantTimeEqual,
  positiveInteger,
  prefixedStore,
  refusals,
  ShieldwallError,
  systemClock,
  wrapAsync,
  type Clock,
  type OnRefused,
  type OptionNames,
  type Store,
} from '@shieldwall/core';
import { packageName } from './constants.js';

/** A user's bound MFA device as the app keeps it (for example `user.mfa`). */
export interface BoundDevice {
  /** Base32 TOTP secret. Keep it encrypted at rest where the app can. */
  secret: string;
  deviceId: string;
}

export interface MfaDevicesOptions {
  /** Pending enrolments, used TOTP steps and failure counters (prefixed `captcha-gate:mfa:`). Required. */
  store: Store;
  /** Shown in the authenticator app (`otpauth://totp/<issuer>:<label>`). Required. */
  issuer: string;
  /** How long an enrolment may take from start to the first right code. Defaults to 600000 (10 minutes). */
  enrollmentTtlMs?: number;
  /** Wrong codes per user before 429 `mfa_attempts_exceeded`. Defaults to 5. */
  maxFailures?: number;
  /** How long the failure counter lasts (and so a lockout). Defaults to 900000 (15 minutes). */
  failureWindowMs?: number;
  /** Defaults to the system clock. */
  clock?: Clock;
  /**
   * Takes over the refusals (`requireBoundDevice`'s 403 `mfa_device_required` and 429 `mfa_attempts_exceeded`): `(error, req, res, next)` with `error.status`, `error.code` and
   * `error.details`. Defaults to sending the JSON envelope, so no error handler is needed; call `next(error)` to
   * hand them to yours.
   */
  onRefused?: OnRefused;
}

const mfaOptionNames: OptionNames<MfaDevicesOptions> = {
  store: true,
  issuer: true,
  enrollmentTtlMs: true,
  maxFailures: true,
  failureWindowMs: true,
  clock: true,
  onRefused: true,
};

export interface Enrollment {
  /** Base32 secret, for manual entry. */
  secret: string;
  /** `otpauth://` URI for a QR code. */
  uri: string;
  expiresAt: number;
}

/** Request headers a bound device sends on every request that needs it. */
export const deviceHeaders = Object.freeze({ id: 'x-mfa-device-id', code: 'x-mfa-code' });

const deviceIdPattern = /^[A-Za-z0-9_-]{8,128}$/;
const period = 30;

export interface MfaDevices {
  /** Starts (or restarts) enrolment: a fresh secret, pending until `confirm` sees a right code. */
  begin(userId: string, deviceId: string, label: string): Promise<Enrollment>;
  /** Finishes enrolment with the device's first code; returns the device to bind to the user. */
  confirm(userId: string, deviceId: string, code: string): Promise<BoundDevice>;
  /** Checks a device's proof (its id and a current, never-used code) against the user's bound device. */
  prove(
    userId: string,
    bound: BoundDevice,
    deviceId: string | undefined,
    code: string | undefined,
  ): Promise<void>;
  /**
   * Once a user has MFA, admits only requests from the bound device (`X-MFA-Device-Id` + `X-MFA-Code`), else 403
   * `mfa_device_required`. Users without MFA pass. Mount after authentication.
   */
  requireBoundDevice(
    lookup: (
      req: Request,
      res: Response,
    ) =>
      | { userId: string; device?: BoundDevice }
      | undefined
      | Promise<{ userId: string; device?: BoundDevice } | undefined>,
  ): RequestHandler;
}

const deviceRequired = () =>
  new ShieldwallError(
    403,
    'mfa_device_required',
    'This needs your bound MFA device and a current code from it.',
  );

/**
 * TOTP (RFC 6238, via otpauth) devices: enrolment binds a device id to a secret; afterwards a request proves it
 * comes from that device with the id and a current code, each code usable once. See the README's threat model.
 */
export function mfaDevices(options: Readonly<MfaDevicesOptions>): MfaDevices {
  checkOptionNames(packageName, 'mfaDevices()', options, mfaOptionNames, { hints: { handler: 'onRefused' } });
  if (typeof options?.store !== 'object' || options.store === null) {
    throw configError(packageName, 'store', options?.store, 'pass a Store (memoryStore() or redisStore()).');
  }
  if (typeof options.issuer !== 'string' || !options.issuer || options.issuer.includes(':')) {
    throw configError(packageName, 'issuer', options.issuer, 'pass your service name (no colon).');
  }
  const store = prefixedStore(options.store, 'captcha-gate:mfa:');
  const issuer = options.issuer;
  const enrollmentTtlMs = positiveInteger(packageName, 'enrollmentTtlMs', options.enrollmentTtlMs, 600_000);
  const maxFailures = positiveInteger(packageName, 'maxFailures', options.maxFailures, 5);
  const failureWindowMs = positiveInteger(packageName, 'failureWindowMs', options.failureWindowMs, 900_000);
  const clock = options.clock ?? systemClock;
  const refuse = refusals(packageName, options.onRefused);

  async function assertNotLocked(userId: string): Promise<void> {
    const failures = Number((await store.get(`fail:${userId}`)) ?? 0);
    if (failures >= maxFailures) {
      const retryAfter = Math.ceil(failureWindowMs / 1000);
      throw new ShieldwallError(429, 'mfa_attempts_exceeded', 'Too many wrong codes; try again later.', {
        details: { retryAfter },
        headers: { 'Retry-After': String(retryAfter) },
      });
    }
  }

  /** True when the code is right for the secret now and its time step was never used by this user. */
  async function acceptCode(userId: string, secret: string, code: string | undefined): Promise<boolean> {
    if (typeof code !== 'string' || !/^\d{6}$/.test(code)) return false;
    const now = clock.now();
    const delta = TOTP.validate({
      token: code,
      secret: Secret.fromBase32(secret),
      period,
      timestamp: now,
      window: 1,
    });
    if (delta === null) return false;
    // Single use: a code seen once (for example by someone looking over a shoulder) is refused the second time.
    const step = TOTP.counter({ period, timestamp: now }) + delta;
    return store.setIfAbsent(`used:${userId}:${step}`, '1', period * 3 * 1000);
  }

  async function fail(userId: string): Promise<void> {
    await store.increment(`fail:${userId}`, failureWindowMs);
  }

  const devices: MfaDevices = {
    async begin(userId, deviceId, label) {
      if (typeof deviceId !== 'string' || !deviceIdPattern.test(deviceId)) {
        throw new ShieldwallError(
          400,
          'invalid_device_id',
          'The device id must be 8 to 128 letters, digits, - or _.',
        );
      }
      const secret = new Secret({ size: 20 }).base32;
      const expiresAt = clock.now() + enrollmentTtlMs;
      await store.set(`pending:${userId}`, JSON.stringify({ secret, deviceId, expiresAt }), enrollmentTtlMs);
      const uri = new TOTP({
        issuer,
        label: label.replace(/:/g, ''),
        secret: Secret.fromBase32(secret),
        period,
      }).toString();
      return { secret, uri, expiresAt };
    },

    async confirm(userId, deviceId, code) {
      await assertNotLocked(userId);
      const raw = await store.get(`pending:${userId}`);
      const pending = raw
        ? (JSON.parse(raw) as { secret: string; deviceId: string; expiresAt: number })
        : undefined;
      if (!pending || clock.now() >= pending.expiresAt) {
        throw new ShieldwallError(
          409,
          'mfa_enrollment_not_started',
          'Start MFA enrolment first, or again: it has expired.',
        );
      }
      if (
        typeof deviceId !== 'string' ||
        !constantTimeEqual(deviceId, pending.deviceId) ||
        !(await acceptCode(userId, pending.secret, code))
      ) {
        await fail(userId);
        throw new ShieldwallError(403, 'mfa_code_invalid', 'The code is not right for this device.');
      }
      if ((await store.take(`pending:${userId}`)) === undefined) {
        throw new ShieldwallError(
          409,
          'mfa_enrollment_not_started',
          'Start MFA enrolment first, or again: it has expired.',
        );
      }
      await store.delete(`fail:${userId}`);
      return { secret: pending.secret, deviceId: pending.deviceId };
    },

    async prove(userId, bound, deviceId, code) {
      await assertNotLocked(userId);
      // No proof offered (a client that has not prompted yet): refused, but not counted as a guess.
      if (typeof deviceId !== 'string' || typeof code !== 'string') throw deviceRequired();
      if (!constantTimeEqual(deviceId, bound.deviceId) || !(await acceptCode(userId, bound.secret, code))) {
        await fail(userId);
        throw deviceRequired();
      }
    },

    requireBoundDevice(lookup) {
      if (typeof lookup !== 'function') {
        throw configError(
          packageName,
          'requireBoundDevice(lookup)',
          lookup,
          'pass a function (req, res) => {userId, device}.',
        );
      }
      return wrapAsync(async function requireBoundDeviceMiddleware(req, res, next) {
        const found = await lookup(req, res);
        if (!found) throw deviceRequired();
        if (!found.device) {
          next();
          return;
        }
        const id = req.headers[deviceHeaders.id];
        const code = req.headers[deviceHeaders.code];
        await devices.prove(
          found.userId,
          found.device,
          typeof id === 'string' ? id : undefined,
          typeof code === 'string' ? code : undefined,
        );
        next();
      }, refuse);
    },
  };
  return devices;
}
