import type { BoundDevice } from '@shieldwall/captcha-gate';
import type { EnvelopeSealer } from '@shieldwall/wallet-crypto';
import { zeroize } from '@shieldwall/wallet-crypto';
import type { User } from './users.js';

// A TOTP secret is as good as the device: stored in the clear, a database dump would let anyone pass the MFA
// device check. It is sealed like wallet keys (000: sensitive data encrypted at rest), bound to its user.
const context = (userId: string) => ({ user: userId, purpose: 'mfa-totp-secret' });

export function sealTotpSecret(
  sealer: EnvelopeSealer,
  userId: string,
  base32Secret: string,
): Promise<string> {
  return sealer.seal(Buffer.from(base32Secret, 'utf8'), context(userId));
}

/** The user's bound MFA device with its secret opened, for the device check; undefined without MFA. */
export async function boundDeviceOf(sealer: EnvelopeSealer, user: User): Promise<BoundDevice | undefined> {
  if (!user.mfa) return undefined;
  const opened = await sealer.open(user.mfa.secret, context(user.id));
  try {
    return { secret: Buffer.from(opened).toString('utf8'), deviceId: user.mfa.deviceId };
  } finally {
    zeroize(opened);
  }
}
