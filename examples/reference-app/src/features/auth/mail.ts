import type { Services } from '../../services.js';
import { alreadyRegisteredEmail, resetEmail, verificationEmail } from '../../messages/templates.js';
import { sendCapped } from '../../messages/destination-cap.js';

// The e-mails the auth routes send, written to the outbox (delivered by its worker, never on the request path).
// Links carry the token in the fragment, so it never reaches a server log or a Referer header; the page reads it
// and POSTs it. Each answers the same whether or not its mail is written: beyond the destination cap it is dropped
// (the token is stored all the same; it is just never delivered).

export async function sendVerification(services: Services, to: string, token: string): Promise<void> {
  await sendCapped(services, verificationEmail(services.config.publicOrigin, to, token), 'verification');
}

export async function sendAlreadyRegistered(services: Services, to: string): Promise<void> {
  await sendCapped(services, alreadyRegisteredEmail(services.config.publicOrigin, to), 'already_registered');
}

export async function sendReset(
  services: Services,
  to: string,
  token: string,
  expiresAt: number,
): Promise<void> {
  const minutes = Math.round((expiresAt - services.clock.now()) / 60_000);
  await sendCapped(services, resetEmail(services.config.publicOrigin, to, token, minutes), 'password_reset');
}
