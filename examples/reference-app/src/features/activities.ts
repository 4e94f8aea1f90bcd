import { ShieldwallError } from '@shieldwall/core';
import { requireParticipation } from '@shieldwall/captcha-gate';
import type { User } from '../users.js';
import { boundDeviceOf } from '../mfa-secrets.js';
import { appMfaDevices } from './captcha.js';
import type { Feature } from './feature.js';

/** 002's participation threshold: 30-day volume of at least 1,000.00 (in the smallest currency unit). */
export const participationThreshold = 100_000;
const activityId = /^[A-Za-z0-9_-]{1,64}$/;
const joinTtlMs = 365 * 24 * 3600 * 1000;

/**
 * `POST /api/activities/:id/join` (002, signed-in users): only over the encrypted channel, only for users whose
 * recent volume reaches the threshold, and, once a user has MFA, only from the bound device (`X-MFA-Device-Id` and
 * a current `X-MFA-Code`). Participation is checked first, so a refused request spends no TOTP code.
 */
export const mountActivities: Feature = async (app, services, guards) => {
  const devices = appMfaDevices(services);
  const user = (res: { locals: Record<string, unknown> }): User => res.locals.user as User;

  app.post(
    '/api/activities/:id/join',
    guards.requireAuth,
    guards.requireChannel,
    requireParticipation({
      figure: (_req, res) => user(res).recentVolume,
      threshold: participationThreshold,
    }),
    devices.requireBoundDevice(async (_req, res) => {
      const device = await boundDeviceOf(services.sealer, user(res));
      return { userId: user(res).id, ...(device ? { device } : {}) };
    }),
    async (req, res) => {
      const id = req.params.id;
      if (typeof id !== 'string' || !activityId.test(id))
        throw new ShieldwallError(404, 'activity_not_found', 'No such activity.');
      const joinedAt = services.clock.now();
      const fresh = await services.store.setIfAbsent(
        `activities:joined:${id}:${user(res).id}`,
        String(joinedAt),
        joinTtlMs,
      );
      res.status(fresh ? 201 : 200).json({ activity: { id, joined: true } });
    },
  );
};
