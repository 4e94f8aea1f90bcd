import type { Services } from '../../services.js';

// The e-mails the auth routes send. Links carry the token in the fragment, so it never reaches a server log or a
// Referer header; the page reads it and POSTs it.

export async function sendVerification(services: Services, to: string, token: string): Promise<void> {
  await services.outbox.send({
    channel: 'email',
    to,
    subject: 'Confirm your e-mail address',
    text: `Confirm your address for ${services.config.publicOrigin}: ${services.config.publicOrigin}/verify-email#token=${token}\nThe link works once, for 24 hours.`,
  });
}

export async function sendAlreadyRegistered(services: Services, to: string): Promise<void> {
  await services.outbox.send({
    channel: 'email',
    to,
    subject: 'You already have an account',
    text: `Someone tried to register at ${services.config.publicOrigin} with this address, which already has an account. If it was you, sign in or reset your password at ${services.config.publicOrigin}/reset-password.`,
  });
}

export async function sendReset(
  services: Services,
  to: string,
  token: string,
  expiresAt: number,
): Promise<void> {
  const minutes = Math.round((expiresAt - services.clock.now()) / 60_000);
  await services.outbox.send({
    channel: 'email',
    to,
    subject: 'Reset your password',
    text: `Choose a new password: ${services.config.publicOrigin}/reset-password#token=${token}\nThe link works once, for ${minutes} minutes. If you did not ask for it, ignore this e-mail.`,
  });
}
