import { wrapAsync } from '@shieldwall/core';
import { maskEmail } from '../mask-email.js';
import type { User } from '../users.js';
import type { Feature } from './feature.js';

/**
 * `GET /api/referrals`: the signed-in user's referral code and link (others pass the code to register as
 * `referralCode`), and the users who registered with it, e-mails masked (000), oldest first. Nothing else about
 * them is shown: not their ids, nor whether they verified their e-mail.
 */
export const mountReferrals: Feature = async (app, services, guards) => {
  app.get(
    '/api/referrals',
    function referralsAuth(req, res, next) {
      guards.requireAuth(req, res, next);
    },
    wrapAsync(async function listReferrals(_req, res) {
      const user = (res.locals as { user: User }).user;
      const referred = await services.users.referredBy(user.id);
      referred.sort((a, b) => a.createdAt - b.createdAt);
      res.setHeader('Cache-Control', 'no-store');
      res.json({
        code: user.referralCode,
        link: `${services.config.publicOrigin}/signup?ref=${user.referralCode}`,
        referrals: referred.map((referral) => ({
          email: maskEmail(referral.email),
          joinedAt: new Date(referral.createdAt).toISOString(),
        })),
      });
    }),
  );
};
