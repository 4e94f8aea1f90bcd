import type { Services } from '../../services.js';
import { alreadyRegisteredEmail, resetEmail, verificationEmail } from '../../messages/templates.js';

// The e-mails the auth routes send, written to the outbox (delivered by its worker, never on the request path).
// Links carry the token in the fragment, so it never reaches a server log or a Referer header; the page reads it
// and POSTs it.

export async function sendVerification(services: Services, to: string, token: string): Promise<void> {
  await services.outbox.send(verificationEmail(services.config.publicOrigin, to, token));
}

export async function sendAlreadyRegistered(services: Services, to: string): Promise<void> {
  await services.outbox.send(alreadyRegisteredEmail(services.config.publicOrigin, to));
}

export async function sendReset(
  services: Services,
  to: string,
  token: string,
  expiresAt: number,
): Promise<void> {
  const minutes = Math.round((expiresAt - services.clock.now()) / 60_000);
  await services.outbox.send(resetEmail(services.config.publicOrigin, to, token, minutes));
}
