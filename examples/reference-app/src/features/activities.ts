import { ShieldwallError, wrapAsync } from '@shieldwall/core';
import { requireParticipation } from '@shieldwall/captcha-gate';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { User } from '../users.js';
import type { Activity } from '../db/activities.js';
import { boundDeviceOf } from '../mfa-secrets.js';
import { appMfaDevices } from './captcha.js';
import type { Feature } from './feature.js';

/** 002's participation threshold of the seeded activities: 30-day volume of 1,000.00 (smallest currency unit). */
export const participationThreshold = 100_000;

const activityNotFound = () => new ShieldwallError(404, 'activity_not_found', 'No such activity.');

/**
 * `GET /api/activities`: the catalogue with each activity's threshold, and for the signed-in user their 30-day
 * volume and what they joined. `POST /api/activities/:id/join` (002, signed-in users): only over the encrypted
 * channel, only for users whose 30-day ledger volume (summed in SQL) reaches the activity's threshold, and, once a
 * user has MFA, only from the bound device (`X-MFA-Device-Id` and a current `X-MFA-Code`). Participation is
 * checked first, so a refused request spends no TOTP code.
 */
export const mountActivities: Feature = async (app, services, guards) => {
  const { activities, ledger, clock } = services;
  const devices = appMfaDevices(services);
  const user = (res: Response): User => res.locals.user as User;
  const activityOf = (res: Response): Activity => res.locals.activity as Activity;
  // One gate per threshold in the catalogue (a handful), made on first use.
  const participationGates = new Map<number, RequestHandler>();

  app.get(
    '/api/activities',
    guards.requireAuth,
    guards.requireChannel,
    wrapAsync(async function listActivities(_req, res) {
      const me = user(res);
      const [catalogue, volume] = await Promise.all([
        activities.list(),
        ledger.volume30d(me.id, clock.now()),
      ]);
      const joined = await Promise.all(catalogue.map((activity) => activities.joinedAt(activity.id, me.id)));
      res.setHeader('Cache-Control', 'no-store');
      res.json({
        volume30d: volume,
        activities: catalogue.map((activity, i) => ({
          id: activity.id,
          title: activity.title,
          threshold: activity.threshold,
          eligible: volume >= activity.threshold,
          joined: joined[i] !== undefined,
        })),
      });
    }),
  );

  app.post(
    '/api/activities/:id/join',
    guards.requireAuth,
    guards.requireChannel,
    wrapAsync(async function findActivity(req: Request, res, next) {
      const activity = await activities.find(String(req.params.id));
      if (!activity) throw activityNotFound();
      res.locals.activity = activity;
      res.locals.volume30d = await ledger.volume30d(user(res).id, clock.now());
      next();
    }),
    function participation(req: Request, res: Response, next: NextFunction) {
      const { threshold } = activityOf(res);
      let gate = participationGates.get(threshold);
      if (!gate) {
        gate = requireParticipation({ figure: (_r, r) => r.locals.volume30d as number, threshold });
        participationGates.set(threshold, gate);
      }
      gate(req, res, next);
    },
    devices.requireBoundDevice(async (_req, res) => {
      const device = await boundDeviceOf(services.sealer, user(res));
      return { userId: user(res).id, ...(device ? { device } : {}) };
    }),
    wrapAsync(async function joinActivity(_req, res) {
      const { id } = activityOf(res);
      const fresh = await activities.join(id, user(res).id, clock.now());
      res.status(fresh ? 201 : 200).json({ activity: { id, joined: true } });
    }),
  );
};
